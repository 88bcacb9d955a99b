import { Hono } from 'hono';
import { z } from 'zod';
import { parseParam, readJson } from '../../../shared/src/guards.ts';
import type { ServiceEnv } from '../../../shared/src/service-app.ts';
import type { Outbox } from '../outbox.ts';

export const notificationSchema = z.strictObject({
  orderId: z.string().regex(/^[\w-]{1,64}$/, 'must be 1–64 letters, digits, _ or -').optional(),
  userId: z.number().int().positive().max(1_000_000_000).optional(),
  channel: z.enum(['email', 'sms']).default('email'),
  message: z.string().trim().min(1).max(1000),
});

const orderFilter = z.string().regex(/^[\w-]{1,64}$/, 'must be an order id');

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
      return c.json({ notifications: outbox.list(order) });
    });
}
