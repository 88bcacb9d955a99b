// The seeded catalogue. v2 adds a rating and a sale price to every product: the same contract with
// something a person can see, so a canary or an A/B split shows in the storefront.
export interface Product {
  id: number;
  name: string;
  description: string;
  category: string;
  priceCents: number;
  currency: 'EUR';
  stock: number;
}

export interface ProductV2 extends Product {
  rating: number;
  salePriceCents: number;
}

export const SEED_PRODUCTS: readonly Product[] = Object.freeze([
  { id: 101, name: 'Laptop', description: '14-inch, 16 GB, quiet fan', category: 'computers', priceCents: 129900, currency: 'EUR', stock: 25 },
  { id: 102, name: 'Headphones', description: 'Closed-back, wired', category: 'audio', priceCents: 8900, currency: 'EUR', stock: 120 },
  { id: 103, name: 'Keyboard', description: 'Mechanical, brown switches', category: 'computers', priceCents: 11900, currency: 'EUR', stock: 60 },
  { id: 104, name: 'Monitor', description: '27-inch, 1440p', category: 'computers', priceCents: 32900, currency: 'EUR', stock: 18 },
  { id: 105, name: 'Coffee Mug', description: 'Holds one refactor', category: 'kitchen', priceCents: 1200, currency: 'EUR', stock: 300 },
].map((p) => Object.freeze(p as Product)));

const RATINGS: Readonly<Record<number, number>> = { 101: 4.6, 102: 4.2, 103: 4.8, 104: 4.4, 105: 4.9 };
const SALE_PERCENT_OFF = 15;

export function toV2(product: Product): ProductV2 {
  return {
    ...product,
    rating: RATINGS[product.id] ?? 4,
    salePriceCents: Math.round((product.priceCents * (100 - SALE_PERCENT_OFF)) / 100),
  };
}

export interface Catalogue {
  list(): readonly (Product | ProductV2)[];
  get(id: number): Product | ProductV2 | undefined;
}

/** A read-only catalogue for one behaviour variant, built once. */
export function createCatalogue(version: 'v1' | 'v2', products: readonly Product[] = SEED_PRODUCTS): Catalogue {
  const shaped = products.map((p) => Object.freeze(version === 'v2' ? toV2(p) : { ...p }));
  const byId = new Map(shaped.map((p) => [p.id, p]));
  return { list: () => shaped, get: (id) => byId.get(id) };
}
