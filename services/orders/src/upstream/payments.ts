// Calls to the payments service. The order's Idempotency-Key goes with the charge, so a retried
// order (by the client or the mesh) never charges twice; the deadline goes too, so payments never
// charges after orders has given up; the service token shows the call comes from orders.
import { DEADLINE_HEADER } from '../../../shared/src/deadline.ts';
import { HttpError } from '../../../shared/src/errors.ts';
import { IDEMPOTENCY_KEY_HEADER } from '../../../shared/src/idempotency.ts';
import type { ForwardHeaders } from '../../../shared/src/propagation.ts';
import { serviceAuthorization } from '../../../shared/src/service-token.ts';
import { unexpectedAnswer, UpstreamError, type UpstreamClient } from '../../../shared/src/upstream.ts';

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

export interface ChargeOptions {
  idempotencyKey: string;
  /** Unix ms after which payments must not charge. */
  deadline: number;
  headers: ForwardHeaders;
}

export interface PaymentsApi {
  charge(request: ChargeRequest, options: ChargeOptions): Promise<ChargeResult>;
  /** The charge made with this key for the order, if payments holds one. */
  findCharge(orderId: string, idempotencyKey: string, headers: ForwardHeaders): Promise<ChargeResult | undefined>;
}

/** Payments refused before charging (its own 4xx, or its explicit deadline refusal): nothing was charged. */
export class ChargeNotMade extends HttpError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(503, 'payment_not_made', message, options);
    this.name = 'ChargeNotMade';
  }
}

export function createPaymentsApi(client: UpstreamClient, serviceToken: string): PaymentsApi {
  return {
    async charge(request, { idempotencyKey, deadline, headers }) {
      let res;
      try {
        res = await client.request({
          method: 'POST',
          path: '/payments',
          headers: { ...headers, ...serviceAuthorization(serviceToken), [IDEMPOTENCY_KEY_HEADER]: idempotencyKey, [DEADLINE_HEADER]: String(deadline) },
          json: request,
          timeoutMs: Math.max(1, deadline - Date.now()),
        });
      } catch (error) {
        if (error instanceof UpstreamError && (error.neverSent || (error.answeredBy === 'payments' && error.upstreamCode === 'deadline_exceeded'))) {
          throw new ChargeNotMade('payments did not charge: it could not be reached in time', { cause: error });
        }
        throw error;
      }
      if (res.status === 409) throw new HttpError(409, 'payment_conflict', 'payments already holds a different charge for this Idempotency-Key');
      if (res.status >= 400) throw new ChargeNotMade(`payments refused the charge (${res.status})`);
      const body = res.body as Partial<ChargeResult> | undefined;
      if (res.status !== 201 && res.status !== 200) throw unexpectedAnswer('payments', res.status, 'no charge');
      if (typeof body?.id !== 'string' || typeof body.status !== 'string') throw unexpectedAnswer('payments', res.status, 'a malformed charge');
      return { id: body.id, status: body.status };
    },
    async findCharge(orderId, idempotencyKey, headers) {
      const res = await client.request({ method: 'GET', path: `/payments?order=${encodeURIComponent(orderId)}&limit=100`, headers });
      const charges = (res.body as { charges?: unknown } | undefined)?.charges;
      if (res.status !== 200 || !Array.isArray(charges)) throw unexpectedAnswer('payments', res.status, 'no ledger');
      const match = (charges as Array<Record<string, unknown>>).find((c) => c.idempotencyKey === idempotencyKey && typeof c.id === 'string');
      return match ? { id: match.id as string, status: String(match.status) } : undefined;
    },
  };
}
