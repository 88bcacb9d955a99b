// Every call the storefront makes to users: the shopper's name for the pages, and a token that
// checkout presents to orders (the jwt scenario requires one on the orders routes).
import * as z from 'zod/mini';
import type { ForwardHeaders } from '../../../shared/src/propagation.ts';
import { unexpectedAnswer, type UpstreamClient } from '../../../shared/src/upstream.ts';
import { servedBy } from '../served.ts';
import type { Answer } from './products.ts';

const userSchema = z.looseObject({
  id: z.pipe(z.union([z.number().check(z.int()), z.string()]), z.transform(String)),
  username: z.optional(z.string()),
  name: z.string(),
});
const tokenSchema = z.looseObject({ access_token: z.string().check(z.minLength(1)) });

export type User = z.infer<typeof userSchema>;

export interface UsersApi {
  /** `data` is null when users does not know the id. */
  get(id: string, headers: ForwardHeaders): Promise<Answer<User | null>>;
  token(userId: string, headers: ForwardHeaders): Promise<Answer<string>>;
}

export function usersApi(client: UpstreamClient): UsersApi {
  return {
    async get(id, headers) {
      const res = await client.request({ method: 'GET', path: `/users/${encodeURIComponent(id)}`, headers });
      const served = servedBy(client.name, res.headers);
      if (res.status === 404) return { data: null, served };
      const parsed = res.status === 200 ? userSchema.safeParse(res.body) : undefined;
      if (!parsed?.success) throw unexpectedAnswer(client.name, res.status, 'no user');
      return { data: parsed.data, served };
    },
    // The sandbox identity provider issues a token for a seeded username, so look the shopper up first.
    async token(userId, headers) {
      const { data: user } = await this.get(userId, headers);
      if (!user?.username) throw unexpectedAnswer(client.name, 200, `no username for user ${userId}`);
      const res = await client.request({ method: 'POST', path: '/auth/token', headers, json: { username: user.username } });
      const parsed = res.status === 200 || res.status === 201 ? tokenSchema.safeParse(res.body) : undefined;
      if (!parsed?.success) throw unexpectedAnswer(client.name, res.status, 'no token');
      return { data: parsed.data.access_token, served: servedBy(client.name, res.headers) };
    },
  };
}
