// The seeded accounts. This is a sandbox identity provider: a seeded username is enough to get a
// token, and there are no passwords to leak.
export interface User {
  id: number;
  username: string;
  name: string;
  email: string;
  /** Used by the A/B scenario and visible in the token's `group` claim. */
  group: 'beta' | 'standard';
}

export const SEED_USERS: readonly User[] = Object.freeze([
  { id: 1, username: 'alice', name: 'Alice', email: 'alice@shop.localhost', group: 'beta' },
  { id: 2, username: 'bob', name: 'Bob', email: 'bob@shop.localhost', group: 'standard' },
  { id: 3, username: 'carol', name: 'Carol', email: 'carol@shop.localhost', group: 'standard' },
].map((u) => Object.freeze(u as User)));

export interface Directory {
  byId(id: number): User | undefined;
  byUsername(username: string): User | undefined;
  list(): readonly User[];
}

export function createDirectory(users: readonly User[] = SEED_USERS): Directory {
  const byId = new Map(users.map((u) => [u.id, u]));
  const byUsername = new Map(users.map((u) => [u.username, u]));
  return { byId: (id) => byId.get(id), byUsername: (name) => byUsername.get(name.toLowerCase()), list: () => users };
}
