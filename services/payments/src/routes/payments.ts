import { Hono } from 'hono';
import * as z from 'zod/mini';
import { HttpError } from '../../../shared/src/errors.ts';
import { parseParam, readJson } from '../../../shared/src/guards.ts';
import { createIdempotencyStore, fingerprintOf, REPLAYED_HEADER, requireIdempotencyKey } from '../../../shared/src/idempotency.ts';
import type { ServiceEnv } from '../../../shared/src/service-app.ts';
import type { Charge, Ledger } from '../ledger.ts';

export const MAX_AMOUNT_CENTS = 100_000_000;

export const chargeRequestSchema = z.strictObject({
  orderId: z.string().check(z.regex(/^[\w-]{1,64}$/, 'must be 1–64 letters, digits, _ or -')),
  userId: z.number().check(z.int(), z.positive(), z.maximum(1_000_000_000)),
  amountCents: z.number().check(z.int(), z.positive(), z.maximum(MAX_AMOUNT_CENTS)),
  currency: z._default(z.literal('EUR'), 'EUR'),
});

const orderFilter = z.string().check(z.regex(/^[\w-]{1,64}$/, 'must be an order id'));

export function createPaymentRoutes(deps: { ledger: Ledger }) {
  const { ledger } = deps;
  const attempts = createIdempotencyStore<Charge>();
  return new Hono<ServiceEnv>()
    .post('/payments', async (c) => {
      const key = requireIdempotencyKey(c);
      const request = await readJson(c, chargeRequestSchema);
      const { value, replayed } = await attempts.run(key, fingerprintOf(request), async () => ledger.charge(request, key));
      if (replayed) c.header(REPLAYED_HEADER, 'true');
      return c.json(value, 201);
    })
    .get('/payments', (c) => {
      const raw = c.req.query('order');
      const order = raw === undefined ? undefined : parseParam('order', raw, orderFilter);
      return c.json({ charges: ledger.list(order) });
    })
    .get('/payments/:id', (c) => {
      const charge = ledger.get(c.req.param('id'));
      if (charge === undefined) throw new HttpError(404, 'charge_not_found', `no charge ${c.req.param('id')}`);
      return c.json(charge);
    });
}
