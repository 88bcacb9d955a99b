// The shopper's orders: "My orders" (signed in), and the order page, where checkout lands. Orders
// shows an order to its owner only; order 5001 is the public demo record.
import { Hono } from 'hono';
import { notFound } from '../../../shared/src/errors.ts';
import { forwardHeaders } from '../request.ts';
import type { StorefrontDeps } from '../app.ts';
import { clearSession, readSession } from '../session.ts';
import { MyOrdersPage, OrderPage } from '../views/pages.tsx';
import { renderPage } from '../views/render.tsx';

const ORDER_ID = /^[\w-]{1,64}$/;
const CURSOR = /^[\w-]{1,32}$/;

export function orderRoutes(deps: StorefrontDeps) {
  return new Hono()
    .get('/orders', async (c) => {
      const session = readSession(c);
      if (!session) return c.redirect('/signin?next=/orders', 303);
      const cursor = c.req.query('cursor');
      const { data, served } = await deps.orders.listMine({ token: session.token, headers: forwardHeaders(c), ...(cursor && CURSOR.test(cursor) ? { cursor } : {}) });
      if (!data) {
        clearSession(c);
        return c.redirect('/signin?next=/orders', 303);
      }
      return renderPage(c, deps.identity, { title: 'My orders', served: [served] }, <MyOrdersPage shopperName={session.name} orders={data.orders} nextCursor={data.nextCursor} />);
    })
    .get('/orders/:id', async (c) => {
      const id = c.req.param('id');
      if (!ORDER_ID.test(id)) throw notFound('order_not_found', 'There is no such order.');
      const { data, served } = await deps.orders.get(id, { token: readSession(c)?.token, headers: forwardHeaders(c) });
      if (!data) throw notFound('order_not_found', 'There is no such order, or it is not yours. Sign in to see your orders.');
      const also = (c.req.query('also') ?? '').split(',').filter((other) => ORDER_ID.test(other) && other !== id).slice(0, 10);
      return renderPage(
        c,
        deps.identity,
        { title: `Order #${data.order_id}`, served: [served] },
        <OrderPage order={data} justPlaced={c.req.query('placed') === '1'} also={also} />,
      );
    });
}
