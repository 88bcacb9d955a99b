// The records both reference servers (raw node:http and bare Hono) answer with: the same shape and
// size as the shop's answers, so every side serialises the same bytes.
export const USERS: Readonly<Record<string, object>> = {
  '1': { id: 1, name: 'Alice', email: 'alice@example.com' },
  '2': { id: 2, name: 'Bob', email: 'bob@example.com' },
};
export const PRODUCTS: Readonly<Record<string, object>> = {
  '101': { id: 101, name: 'Laptop', description: '14-inch, 16 GB, quiet fan', category: 'computers', priceCents: 129900, currency: 'EUR', stock: 25 },
};
export const ORDERS: Readonly<Record<string, { userId: number; productId: number; quantity: number }>> = {
  '5001': { userId: 1, productId: 101, quantity: 1 },
};
export const NOT_FOUND = { error: { code: 'not_found', message: 'not found' } };
export const UPSTREAM_FAILED = { error: { code: 'upstream_error', message: 'upstream failed' } };
