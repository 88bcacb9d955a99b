// Calls to the payments service. The order's Idempotency-Key goes with the charge, so a retried
// order (by the client or the mesh) never charges twice.
import { HttpError } from '../../../shared/src/errors.ts';
import { IDEMPOTENCY_KEY_HEADER } from '../../../shared/src/idempotency.ts';
import type { ForwardHeaders } from '../../../shared/src/propagation.ts';
import { unexpectedAnswer, type UpstreamClient } from '../../../shared/src/upstream.ts';

export interface ChargeRequest {
  orderId: string;
  userId: number;
  amountCents: number;
  currency: 'EUR';
}

export interface ChargeResult {
  id: string;
  status: string;
}

export interface PaymentsApi {
  charge(request: ChargeRequest, idempotencyKey: string, headers: ForwardHeaders): Promise<ChargeResult>;
}

export function createPaymentsApi(client: UpstreamClient): PaymentsApi {
  return {
    async charge(request, idempotencyKey, headers) {
      const res = await client.request({
        method: 'POST',
        path: '/payments',
        headers: { ...headers, [IDEMPOTENCY_KEY_HEADER]: idempotencyKey },
        json: request,
      });
      if (res.status === 409) throw new HttpError(409, 'payment_conflict', 'payments already holds a different charge for this Idempotency-Key');
      const body = res.body as Partial<ChargeResult> | undefined;
      if (res.status !== 201 && res.status !== 200) throw unexpectedAnswer('payments', res.status, 'no charge');
      if (typeof body?.id !== 'string' || typeof body.status !== 'string') throw unexpectedAnswer('payments', res.status, 'a malformed charge');
      return { id: body.id, status: body.status };
    },
  };
}
