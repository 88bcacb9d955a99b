// Every call the storefront makes to products. v1 and v2 answer the same contract; v2 may add
// fields (rating, sale price) that the pages show when present.
import * as z from 'zod/mini';
import type { ForwardHeaders } from '../../../shared/src/propagation.ts';
import { unexpectedAnswer, UpstreamError, type UpstreamClient } from '../../../shared/src/upstream.ts';
import { servedBy, type ServedBy } from '../served.ts';

// The products contract prices in cents (priceCents, and salePriceCents on v2); the pages show units.
// The shop has one currency: any other (or none) breaks the contract and is a 502 page.
const productSchema = z.pipe(
  z.looseObject({
    id: z.pipe(z.union([z.number().check(z.int()), z.string()]), z.transform(String)),
    name: z.string(),
    priceCents: z.number().check(z.int(), z.nonnegative()),
    salePriceCents: z.optional(z.number().check(z.int(), z.nonnegative())),
    description: z.optional(z.string()),
    currency: z.literal('EUR'),
    rating: z.optional(z.number()),
  }),
  z.transform(({ priceCents, salePriceCents, ...rest }) => ({
    ...rest,
    price: priceCents / 100,
    ...(salePriceCents !== undefined ? { salePrice: salePriceCents / 100 } : {}),
    /** What one unit costs the shopper: the sale price when lower; sent to orders as the confirmed quote. */
    unitPriceCents: salePriceCents !== undefined && salePriceCents < priceCents ? salePriceCents : priceCents,
  })),
);
const listSchema = z.union([
  z.array(productSchema),
  z.pipe(z.looseObject({ products: z.array(productSchema) }), z.transform((b) => b.products)),
]);

export type Product = z.output<typeof productSchema>;

export interface Answer<T> {
  data: T;
  served: ServedBy;
}

/** One probe of products for the /mesh view: who answered, with what status, how fast. Never throws. */
export interface ProbeResult {
  version: string;
  pod: string;
  status: number;
  ms: number;
}

export interface ProductsApi {
  list(headers: ForwardHeaders): Promise<Answer<Product[]>>;
  /** `data` is null when products does not know the id. */
  get(id: string, headers: ForwardHeaders): Promise<Answer<Product | null>>;
  probe(id: string, headers: ForwardHeaders): Promise<ProbeResult>;
}

export function productsApi(client: UpstreamClient): ProductsApi {
  return {
    async list(headers) {
      const res = await client.request({ method: 'GET', path: '/products', headers });
      const parsed = res.status === 200 ? listSchema.safeParse(res.body) : undefined;
      if (!parsed?.success) throw unexpectedAnswer(client.name, res.status, 'no product list');
      return { data: parsed.data, served: servedBy(client.name, res.headers) };
    },
    async get(id, headers) {
      const res = await client.request({ method: 'GET', path: `/products/${encodeURIComponent(id)}`, headers });
      const served = servedBy(client.name, res.headers);
      if (res.status === 404 || res.status === 400) return { data: null, served };
      const parsed = res.status === 200 ? productSchema.safeParse(res.body) : undefined;
      if (!parsed?.success) throw unexpectedAnswer(client.name, res.status, 'no product');
      return { data: parsed.data, served };
    },
    async probe(id, headers) {
      const started = performance.now();
      try {
        const res = await client.request({ method: 'GET', path: `/products/${encodeURIComponent(id)}`, headers });
        const served = servedBy(client.name, res.headers);
        return { version: served.version, pod: served.pod, status: res.status, ms: performance.now() - started };
      } catch (error) {
        const status = (error as { upstreamStatus?: number; status?: number }).upstreamStatus ?? (error as { status?: number }).status ?? 0;
        // A failing answer that carried the identity headers is attributed to the pod that sent it.
        const served = error instanceof UpstreamError ? error.served : undefined;
        return { version: served?.version ?? '', pod: served?.pod ?? '', status, ms: performance.now() - started };
      }
    },
  };
}
