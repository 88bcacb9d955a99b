// Calls to the products service: the product and the price a shopper pays for it today.
import type { ForwardHeaders } from '../../../shared/src/propagation.ts';
import { unexpectedAnswer, type UpstreamClient } from '../../../shared/src/upstream.ts';

export interface ProductSummary {
  id: number;
  name: string;
  /** The list price. */
  priceCents: number;
  /** What one unit costs now: v2's sale price when it is lower, else the list price. */
  unitPriceCents: number;
  currency: 'EUR';
}

export interface ProductsApi {
  /** The product, or undefined when products answers 404. */
  getProduct(id: number, headers: ForwardHeaders): Promise<ProductSummary | undefined>;
}

const isCents = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

export function createProductsApi(client: UpstreamClient): ProductsApi {
  return {
    async getProduct(id, headers) {
      const res = await client.request({ method: 'GET', path: `/products/${id}`, headers });
      if (res.status === 404) return undefined;
      const body = res.body as Record<string, unknown> | undefined;
      if (res.status !== 200 || typeof body?.name !== 'string' || typeof body.id !== 'number' || !isCents(body.priceCents)) {
        throw unexpectedAnswer('products', res.status, 'no product');
      }
      // The shop has one currency; anything else is a broken answer (502), never a wrong charge.
      if (body.currency !== 'EUR') throw unexpectedAnswer('products', res.status, `a price in ${JSON.stringify(body.currency)} instead of EUR`);
      if (body.salePriceCents !== undefined && !isCents(body.salePriceCents)) throw unexpectedAnswer('products', res.status, 'a malformed sale price');
      const sale = body.salePriceCents as number | undefined;
      const unitPriceCents = sale !== undefined && sale < body.priceCents ? sale : body.priceCents;
      return { id: body.id, name: body.name, priceCents: body.priceCents, unitPriceCents, currency: 'EUR' };
    },
  };
}
