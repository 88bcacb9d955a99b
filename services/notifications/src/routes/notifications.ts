import { Hono } from 'hono';
import * as z from 'zod/mini';
import { parseParam, readJson } from '../../../shared/src/guards.ts';
import { readPage } from '../../../shared/src/pagination.ts';
import type { ServiceEnv } from '../../../shared/src/service-app.ts';
import type { Outbox } from '../outbox.ts';

export const notificationSchema = z.strictObject({
  orderId: z.optional(z.string().check(z.regex(/^[\w-]{1,64}$/, 'must be 1–64 letters, digits, _ or -'))),
  userId: z.optional(z.number().check(z.int(), z.positive(), z.maximum(1_000_000_000))),
  channel: z._default(z.enum(['email', 'sms']), 'email'),
  message: z.string().check(z.trim(), z.minLength(1), z.maxLength(1000)),
});

const orderFilter = z.string().check(z.regex(/^[\w-]{1,64}$/, 'must be an order id'));

export function createNotificationRoutes(deps: { outbox: Outbox }) {
  const { outbox } = deps;
  return new Hono<ServiceEnv>()
    .post('/notifications', async (c) => {
      const request = await readJson(c, notificationSchema);
      return c.json(outbox.record(request), 201);
    })
    .get('/notifications', (c) => {
      const raw = c.req.query('order');
      const order = raw === undefined ? undefined : parseParam('order', raw, orderFilter);
      const page = outbox.list(readPage(c), order);
      return c.json({ notifications: page.items, next_cursor: page.nextCursor });
    });
}
