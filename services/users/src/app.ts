import { createServiceApp, type Runtime } from '../../shared/src/service-app.ts';
import { createDirectory, type Directory } from './directory.ts';
import type { SigningKeys } from './keys.ts';
import { createAuthRoutes, type TokenSettings } from './routes/auth.ts';
import { createUserRoutes } from './routes/users.ts';

export interface UsersDeps {
  runtime: Runtime;
  keys: SigningKeys;
  tokens: TokenSettings;
  directory?: Directory;
  /** Milliseconds since the epoch. */
  now?: () => number;
}

export function createApp(deps: UsersDeps) {
  const directory = deps.directory ?? createDirectory();
  return createServiceApp(deps.runtime)
    .route('/', createUserRoutes({ directory }))
    .route('/', createAuthRoutes({ directory, keys: deps.keys, settings: deps.tokens, now: deps.now ?? Date.now }));
}

export type AppType = ReturnType<typeof createApp>;
