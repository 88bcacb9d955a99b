import { Hono } from 'hono';
import * as z from 'zod/mini';
import { HttpError } from '../../../shared/src/errors.ts';
import { parseParam } from '../../../shared/src/guards.ts';
import { pageOf, readPage } from '../../../shared/src/pagination.ts';
import type { ServiceEnv } from '../../../shared/src/service-app.ts';
import type { Directory } from '../directory.ts';

const userId = z.pipe(z.string().check(z.regex(/^\d{1,9}$/, 'must be a numeric id')), z.transform(Number));

export function createUserRoutes(deps: { directory: Directory }) {
  const { directory } = deps;
  return new Hono<ServiceEnv>()
    .get('/users', (c) => {
      const { limit, after } = readPage(c);
      const page = pageOf(directory.list().filter((u) => u.id > after), limit, (u) => u.id);
      return c.json({ users: page.items, next_cursor: page.nextCursor });
    })
    .get('/users/:id', (c) => {
      const id = parseParam('id', c.req.param('id'), userId);
      const user = directory.byId(id);
      if (user === undefined) throw new HttpError(404, 'user_not_found', `no user ${id}`);
      return c.json(user);
    });
}
