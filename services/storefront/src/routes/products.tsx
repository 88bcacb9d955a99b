// The catalogue pages: the product list at / and one product at /products/:id.
import { Hono } from 'hono';
import { notFound } from '../../../shared/src/errors.ts';
import { productIdSchema } from '../cart.ts';
import { forwardHeaders } from '../request.ts';
import type { StorefrontDeps } from '../app.ts';
import { ProductList, ProductPage } from '../views/pages.tsx';
import { renderPage } from '../views/render.tsx';

export function productRoutes(deps: StorefrontDeps) {
  return new Hono()
    .get('/', async (c) => {
      const { data, served } = await deps.products.list(forwardHeaders(c));
      return renderPage(c, deps.identity, { title: 'Products', served: [served] }, <ProductList products={data} />);
    })
    .get('/products/:id', async (c) => {
      const id = c.req.param('id');
      if (!productIdSchema.safeParse(id).success) throw notFound('product_not_found', 'There is no such product.');
      const { data, served } = await deps.products.get(id, forwardHeaders(c));
      if (!data) throw notFound('product_not_found', 'There is no such product.');
      return renderPage(c, deps.identity, { title: data.name, served: [served] }, <ProductPage product={data} />);
    });
}
