// Calls to the users service.
import type { ForwardHeaders } from '../../../shared/src/propagation.ts';
import { unexpectedAnswer, type UpstreamClient } from '../../../shared/src/upstream.ts';

export interface UserSummary {
  id: number;
  name: string;
}

export interface UsersApi {
  /** The user, or undefined when users answers 404. */
  getUser(id: number, headers: ForwardHeaders): Promise<UserSummary | undefined>;
}

export function createUsersApi(client: UpstreamClient): UsersApi {
  return {
    async getUser(id, headers) {
      const res = await client.request({ method: 'GET', path: `/users/${id}`, headers });
      if (res.status === 404) return undefined;
      const body = res.body as Partial<UserSummary> | undefined;
      if (res.status !== 200 || typeof body?.name !== 'string' || typeof body.id !== 'number') throw unexpectedAnswer('users', res.status, 'no user');
      return { id: body.id, name: body.name };
    },
  };
}
