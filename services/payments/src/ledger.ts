// The in-memory ledger of charges. Charging goes through the idempotency store in the route, so a
// charge is appended here at most once per Idempotency-Key.
export interface Charge {
  id: string;
  orderId: string;
  userId: number;
  amountCents: number;
  currency: 'EUR';
  status: 'succeeded';
  idempotencyKey: string;
  createdAt: string;
}

export type ChargeRequest = Pick<Charge, 'orderId' | 'userId' | 'amountCents' | 'currency'>;

export interface Ledger {
  charge(request: ChargeRequest, idempotencyKey: string): Charge;
  list(orderId?: string): readonly Charge[];
  get(id: string): Charge | undefined;
}

export function createLedger(now: () => Date, seed: readonly Charge[] = []): Ledger {
  const charges: Charge[] = [...seed];
  const byId = new Map(charges.map((c) => [c.id, c]));
  const byOrder = new Map<string, Charge[]>();
  for (const c of charges) byOrder.set(c.orderId, [...(byOrder.get(c.orderId) ?? []), c]);
  let next = charges.length + 1;
  return {
    charge(request, idempotencyKey) {
      const charge: Charge = Object.freeze({
        id: `ch_${String(next++).padStart(6, '0')}`,
        ...request,
        status: 'succeeded',
        idempotencyKey,
        createdAt: now().toISOString(),
      });
      charges.push(charge);
      byId.set(charge.id, charge);
      const forOrder = byOrder.get(charge.orderId);
      if (forOrder) forOrder.push(charge);
      else byOrder.set(charge.orderId, [charge]);
      return charge;
    },
    list: (orderId) => (orderId === undefined ? charges : (byOrder.get(orderId) ?? [])),
    get: (id) => byId.get(id),
  };
}

export const SEED_CHARGES: readonly Charge[] = Object.freeze([
  Object.freeze({
    id: 'ch_seed_5001',
    orderId: '5001',
    userId: 1,
    amountCents: 129900,
    currency: 'EUR',
    status: 'succeeded',
    idempotencyKey: 'seed-order-5001',
    createdAt: '2026-01-01T00:00:00.000Z',
  } satisfies Charge),
]);
