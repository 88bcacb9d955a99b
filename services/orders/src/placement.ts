// Placing an order so that the shopper is never charged without an order, nor twice:
// 1. re-price through products; a quote that differs is a 409 price_changed (nothing written);
// 2. write the order as `pending` with its Idempotency-Key (one transaction);
// 3. charge payments with the same key and an absolute deadline it must not act after;
// 4. mark the order paid. If the charge's outcome is unknown, the order stays pending: a retry with
//    the same key charges again (payments replays), and the reconciler settles what nobody retries.
import { HttpError } from '../../shared/src/errors.ts';
import { fingerprintOf, keyReused, type KeyLocks } from '../../shared/src/idempotency.ts';
import type { Logger } from '../../shared/src/logging.ts';
import type { ForwardHeaders } from '../../shared/src/propagation.ts';
import type { Shopper } from '../../shared/src/user-tokens.ts';
import { UpstreamError } from '../../shared/src/upstream.ts';
import type { Order, OrderStore } from './store.ts';
import type { NotificationsApi } from './upstream/notifications.ts';
import type { PaymentsApi } from './upstream/payments.ts';
import type { ProductSummary, ProductsApi } from './upstream/products.ts';
import type { UserSummary, UsersApi } from './upstream/users.ts';

export interface OrderRequest {
  productId: number;
  quantity: number;
  /** The unit price the shopper was shown and confirmed. */
  unitPriceCents: number;
}

export interface OrderView extends Order {
  user: UserSummary | null;
  product: Omit<ProductSummary, 'unitPriceCents'> | null;
}

export interface PlacementDeps {
  store: OrderStore;
  locks: KeyLocks;
  users: UsersApi;
  products: ProductsApi;
  payments: PaymentsApi;
  notifications: NotificationsApi;
  logger: Logger;
  now: () => Date;
  /** How long a charge attempt may take (orders' upstream timeout). */
  chargeTimeoutMs: number;
}

/** Kept back from the deadline sent to payments, for its answer's trip back. */
export const DEADLINE_MARGIN_MS = 100;

export const priceChanged = (product: ProductSummary, quoted: number) =>
  new HttpError(409, 'price_changed', `the price of ${product.name} is now ${product.unitPriceCents} cents, not ${quoted}; confirm the new price`, {
    details: { product_id: product.id, unit_price_cents: product.unitPriceCents, quoted_unit_price_cents: quoted, currency: 'EUR' },
  });

const orderCancelled = (id: string) =>
  new HttpError(409, 'order_cancelled', `order ${id} was cancelled because its payment could not be confirmed; nothing was charged`);

/** The charge's outcome is unknown: payments may or may not have recorded it. */
const paymentUnconfirmed = (error: UpstreamError) =>
  new HttpError(error.failure === 'upstream_timeout' ? 504 : 502, 'payment_unconfirmed', 'the payment could not be confirmed; retry with the same Idempotency-Key to complete or cancel the order', { cause: error });

export function createPlacement(deps: PlacementDeps) {
  const { store, locks, users, products, payments, notifications, logger, now } = deps;

  /** The deadline for a charge attempt starting now; the store holds it before payments hears of it. */
  const chargeDeadline = () => now().getTime() + deps.chargeTimeoutMs - DEADLINE_MARGIN_MS;

  async function chargeAndSettle(order: Order, key: string, deadline: number, headers: ForwardHeaders, user: UserSummary, product: Omit<ProductSummary, 'unitPriceCents'> | null): Promise<OrderView> {
    let charge;
    try {
      charge = await payments.charge({ orderId: order.order_id, userId: order.user_id, amountCents: order.total_cents, currency: 'EUR' }, { idempotencyKey: key, deadline, headers });
    } catch (error) {
      // Only an UpstreamError leaves the outcome unknown; ChargeNotMade and payments' 409 pass as they are.
      if (error instanceof UpstreamError) throw paymentUnconfirmed(error);
      throw error;
    }
    const paid = store.markPaid(order.order_id, charge.id, now());
    try {
      await notifications.notify({ orderId: paid.order_id, userId: paid.user_id, message: `Order ${paid.order_id} is paid: ${paid.quantity} × ${product?.name ?? `product ${paid.product_id}`}` }, headers);
    } catch (error) {
      // The order is placed and paid; a failing notifications service must not undo that.
      logger.warn('notification failed', { orderId: paid.order_id, error: (error as Error).message });
    }
    return { ...paid, user, product };
  }

  async function place(shopper: Shopper, request: OrderRequest, key: string, headers: ForwardHeaders): Promise<{ view: OrderView; replayed: boolean }> {
    const fingerprint = fingerprintOf({ userId: shopper.id, ...request });
    return locks.withKey(key, async () => {
      const existing = store.findByKey(key);
      if (existing) {
        if (existing.fingerprint !== fingerprint) throw keyReused();
        const { order } = existing;
        if (order.status === 'cancelled') throw orderCancelled(order.order_id);
        const [user, product] = await Promise.all([users.getUser(order.user_id, headers), products.getProduct(order.product_id, headers).catch(() => undefined)]);
        const summary = user ?? { id: shopper.id, name: shopper.name };
        const shown = product ? withoutUnitPrice(product) : null;
        if (order.status === 'paid') return { view: { ...order, user: summary, product: shown }, replayed: true };
        // Pending: an earlier attempt's outcome is unknown; charging again with the key completes it.
        const deadline = chargeDeadline();
        store.setChargeDeadline(order.order_id, deadline);
        return { view: await chargeAndSettle(order, key, deadline, headers, summary, shown), replayed: true };
      }
      const [user, product] = await Promise.all([users.getUser(shopper.id, headers), products.getProduct(request.productId, headers)]);
      if (user === undefined) throw new HttpError(403, 'unknown_user', `user ${shopper.id} no longer exists`);
      if (product === undefined) throw new HttpError(400, 'unknown_product', `no product ${request.productId}`);
      if (product.unitPriceCents !== request.unitPriceCents) throw priceChanged(product, request.unitPriceCents);
      const deadline = chargeDeadline();
      const order = store.createPending({ userId: user.id, productId: product.id, quantity: request.quantity, unitPriceCents: product.unitPriceCents }, key, fingerprint, deadline, now());
      return { view: await chargeAndSettle(order, key, deadline, headers, user, withoutUnitPrice(product)), replayed: false };
    });
  }

  /**
   * Settles pending orders whose last charge deadline passed more than `graceMs` ago and that no
   * request is working on: paid when payments holds the key's charge, else cancelled (payments refuses
   * every attempt past its deadline, so none can land later). Returns how many were settled.
   */
  async function reconcile(graceMs: number, limit = 100): Promise<{ paid: number; cancelled: number }> {
    const result = { paid: 0, cancelled: 0 };
    const cutoff = now().getTime() - graceMs;
    for (const candidate of store.pendingBefore(cutoff, limit)) {
      if (locks.held(candidate.key)) continue;
      await locks.withKey(candidate.key, async () => {
        // Again under the lock: a retry since the listing may have settled the order, or sent payments
        // a later deadline that it may still act before.
        const current = store.findPending(candidate.order.order_id);
        if (current === undefined || current.chargeDeadline >= cutoff) return;
        const id = current.order.order_id;
        const charge = await payments.findCharge(id, current.key, {});
        if (charge) {
          store.markPaid(id, charge.id, now());
          result.paid++;
        } else {
          store.markCancelled(id, now());
          result.cancelled++;
        }
        logger.info('reconciled a pending order', { orderId: id, status: charge ? 'paid' : 'cancelled' });
      }).catch((error: unknown) => logger.warn('reconcile failed; will try again', { orderId: candidate.order.order_id, error: (error as Error).message }));
    }
    return result;
  }

  return { place, reconcile };
}

function withoutUnitPrice(product: ProductSummary): Omit<ProductSummary, 'unitPriceCents'> {
  const { unitPriceCents: _unit, ...rest } = product;
  return rest;
}

export type Placement = ReturnType<typeof createPlacement>;
