import { Hono } from 'hono';
import * as z from 'zod/mini';
import { HttpError } from '../../../shared/src/errors.ts';
import { parseParam } from '../../../shared/src/guards.ts';
import { pageOf, readPage } from '../../../shared/src/pagination.ts';
import type { ServiceEnv } from '../../../shared/src/service-app.ts';
import type { Catalogue } from '../catalogue.ts';

const productId = z.pipe(z.string().check(z.regex(/^\d{1,9}$/, 'must be a numeric id')), z.transform(Number));

export function createProductRoutes(deps: { catalogue: Catalogue }) {
  const { catalogue } = deps;
  return new Hono<ServiceEnv>()
    .get('/products', (c) => {
      const { limit, after } = readPage(c);
      const page = pageOf(catalogue.list().filter((p) => p.id > after), limit, (p) => p.id);
      return c.json({ products: page.items, next_cursor: page.nextCursor });
    })
    .get('/products/:id', (c) => {
      const id = parseParam('id', c.req.param('id'), productId);
      const product = catalogue.get(id);
      if (product === undefined) throw new HttpError(404, 'product_not_found', `no product ${id}`);
      return c.json(product);
    });
}
