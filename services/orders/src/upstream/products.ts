// Calls to the products service.
import type { ForwardHeaders } from '../../../shared/src/propagation.ts';
import { unexpectedAnswer, type UpstreamClient } from '../../../shared/src/upstream.ts';

export interface ProductSummary {
  id: number;
  name: string;
  priceCents: number;
}

export interface ProductsApi {
  /** The product, or undefined when products answers 404. */
  getProduct(id: number, headers: ForwardHeaders): Promise<ProductSummary | undefined>;
}

export function createProductsApi(client: UpstreamClient): ProductsApi {
  return {
    async getProduct(id, headers) {
      const res = await client.request({ method: 'GET', path: `/products/${id}`, headers });
      if (res.status === 404) return undefined;
      const body = res.body as Partial<ProductSummary> | undefined;
      if (res.status !== 200 || typeof body?.name !== 'string' || typeof body.id !== 'number' || typeof body.priceCents !== 'number') {
        throw unexpectedAnswer('products', res.status, 'no product');
      }
      // Only the v1 fields: v2's sale price must not change the amount charged for a retried order.
      return { id: body.id, name: body.name, priceCents: body.priceCents };
    },
  };
}
