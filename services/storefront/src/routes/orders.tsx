// The order page, where checkout lands.
import { Hono } from 'hono';
import { notFound } from '../../../shared/src/errors.ts';
import { forwardHeaders } from '../request.ts';
import type { StorefrontDeps } from '../app.ts';
import { OrderPage } from '../views/pages.tsx';
import { renderPage } from '../views/render.tsx';

const ORDER_ID = /^[\w-]{1,64}$/;

export function orderRoutes(deps: StorefrontDeps) {
  return new Hono().get('/orders/:id', async (c) => {
    const id = c.req.param('id');
    if (!ORDER_ID.test(id)) throw notFound('order_not_found', 'There is no such order.');
    const { data, served } = await deps.orders.get(id, forwardHeaders(c));
    if (!data) throw notFound('order_not_found', 'There is no such order.');
    const also = (c.req.query('also') ?? '').split(',').filter((other) => ORDER_ID.test(other) && other !== id).slice(0, 10);
    return renderPage(
      c,
      deps.identity,
      { title: `Order #${data.order_id}`, served: [served] },
      <OrderPage order={data} justPlaced={c.req.query('placed') === '1'} also={also} />,
    );
  });
}
