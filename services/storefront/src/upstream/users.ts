// Every call the storefront makes to users: a shopper's name for the pages, and signing in, which
// exchanges a seeded username for the token the storefront then presents to orders.
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
const tokenSchema = z.looseObject({ access_token: z.string().check(z.minLength(1), z.maxLength(4096)), expires_in: z.optional(z.number().check(z.int(), z.positive())) });

export type User = z.infer<typeof userSchema>;

export interface SignedIn {
  token: string;
  expiresInSeconds: number;
}

export interface UsersApi {
  /** `data` is null when users does not know the id. */
  get(id: string, headers: ForwardHeaders): Promise<Answer<User | null>>;
  /** A token for a seeded username; `data` is null when users does not know the name. */
  signIn(username: string, headers: ForwardHeaders): Promise<Answer<SignedIn | null>>;
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
    async signIn(username, headers) {
      const res = await client.request({ method: 'POST', path: '/auth/token', headers, json: { username } });
      const served = servedBy(client.name, res.headers);
      if (res.status === 401 || res.status === 400) return { data: null, served };
      const parsed = res.status === 200 ? tokenSchema.safeParse(res.body) : undefined;
      if (!parsed?.success) throw unexpectedAnswer(client.name, res.status, 'no token');
      return { data: { token: parsed.data.access_token, expiresInSeconds: parsed.data.expires_in ?? 3600 }, served };
    },
  };
}
