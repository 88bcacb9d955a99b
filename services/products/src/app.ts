import { createServiceApp, type Runtime } from '../../shared/src/service-app.ts';
import { createCatalogue, type Catalogue } from './catalogue.ts';
import { createProductRoutes } from './routes/products.ts';

export interface ProductsDeps {
  runtime: Runtime;
  /** Defaults to the seeded catalogue shaped for SERVICE_VERSION. */
  catalogue?: Catalogue;
}

export function createApp(deps: ProductsDeps) {
  const catalogue = deps.catalogue ?? createCatalogue(deps.runtime.config.serviceVersion);
  return createServiceApp(deps.runtime).route('/', createProductRoutes({ catalogue }));
}

export type AppType = ReturnType<typeof createApp>;
