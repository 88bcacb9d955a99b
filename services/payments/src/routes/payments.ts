import { Hono } from 'hono';
import * as z from 'zod/mini';
import { readDeadline, deadlineExceeded } from '../../../shared/src/deadline.ts';
import { errorResponse, HttpError } from '../../../shared/src/errors.ts';
import { parseParam, readJson } from '../../../shared/src/guards.ts';
import { fingerprintOf, REPLAYED_HEADER, requireIdempotencyKey } from '../../../shared/src/idempotency.ts';
import { readPage } from '../../../shared/src/pagination.ts';
import type { ServiceEnv } from '../../../shared/src/service-app.ts';
import { requireServiceToken } from '../../../shared/src/service-token.ts';
import { deferredFailure } from '../../../shared/src/switches.ts';
import type { Ledger } from '../ledger.ts';

export const MAX_AMOUNT_CENTS = 100_000_000;

export const chargeRequestSchema = z.strictObject({
  orderId: z.string().check(z.regex(/^[\w-]{1,64}$/, 'must be 1–64 letters, digits, _ or -')),
  userId: z.number().check(z.int(), z.positive(), z.maximum(1_000_000_000)),
  amountCents: z.number().check(z.int(), z.positive(), z.maximum(MAX_AMOUNT_CENTS)),
  currency: z._default(z.literal('EUR'), 'EUR'),
});

const orderFilter = z.string().check(z.regex(/^[\w-]{1,64}$/, 'must be an order id'));

export interface PaymentRoutesDeps {
  ledger: Ledger;
  serviceToken: string;
  now?: () => number;
}

export function createPaymentRoutes(deps: PaymentRoutesDeps) {
  const { ledger } = deps;
  const now = deps.now ?? Date.now;
  return new Hono<ServiceEnv>()
    .post('/payments', requireServiceToken(deps.serviceToken), async (c) => {
      const deadline = readDeadline(c);
      // Refuse late work before reading the body; the ledger checks again at commit time.
      if (deadline !== undefined && now() >= deadline) throw deadlineExceeded();
      const key = requireIdempotencyKey(c);
      const request = await readJson(c, chargeRequestSchema);
      const { charge, replayed } = ledger.charge(request, key, fingerprintOf(request), deadline);
      // FAIL_AFTER_CHARGE: the switches' failure lands here, after the commit, like a lost answer.
      const failure = deferredFailure(c);
      if (failure) return errorResponse(c, failure.status, 'injected_error', `failing on purpose after the charge was recorded (${failure.why}, FAIL_AFTER_CHARGE)`);
      if (replayed) c.header(REPLAYED_HEADER, 'true');
      return c.json(charge, 201);
    })
    .get('/payments', (c) => {
      const raw = c.req.query('order');
      const order = raw === undefined ? undefined : parseParam('order', raw, orderFilter);
      const page = ledger.list(readPage(c), order);
      return c.json({ charges: page.items, next_cursor: page.nextCursor });
    })
    .get('/payments/:id', (c) => {
      const charge = ledger.get(c.req.param('id'));
      if (charge === undefined) throw new HttpError(404, 'charge_not_found', `no charge ${c.req.param('id')}`);
      return c.json(charge);
    });
}
