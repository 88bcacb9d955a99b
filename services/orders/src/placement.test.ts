// The pending-order saga on a real store (node:sqlite in memory) and real key locks, with fakes for
// users, products, payments and notifications shaped as their interfaces. What it proves: a shopper
// is never charged without an order, nor twice; a changed price writes nothing; a reused key is
// refused; an unknown charge outcome leaves the order pending for a retry or the reconciler, which
// settles only what nobody is working on, and only after the deadline and grace have passed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { IN_MEMORY, openDatabase } from '../../shared/src/database.ts';
import { HttpError } from '../../shared/src/errors.ts';
import { createKeyLocks } from '../../shared/src/idempotency.ts';
import { createLogger, type LogFields } from '../../shared/src/logging.ts';
import type { ForwardHeaders } from '../../shared/src/propagation.ts';
import { UpstreamError } from '../../shared/src/upstream.ts';
import { createPlacement, DEADLINE_MARGIN_MS, type OrderRequest } from './placement.ts';
import { createOrderStore } from './store.ts';
import type { NotificationRequest } from './upstream/notifications.ts';
import { ChargeNotMade, type ChargeOptions, type ChargeRequest, type ChargeResult } from './upstream/payments.ts';
import type { ProductSummary } from './upstream/products.ts';
import type { UserSummary } from './upstream/users.ts';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const TIMEOUT_MS = 2000;
const alice = { id: 1, name: 'Alice' };
const bob = { id: 2, name: 'Bob' };
const laptop: ProductSummary = { id: 101, name: 'Laptop', priceCents: 139900, unitPriceCents: 129900, currency: 'EUR' };
const shownLaptop = { id: 101, name: 'Laptop', priceCents: 139900, currency: 'EUR' };
const twoLaptops: OrderRequest = { productId: 101, quantity: 2, unitPriceCents: 129900 };
const headers: ForwardHeaders = { 'x-request-id': 'req-1', 'x-user-group': 'beta' };

/** What one charge attempt does: charge, charge but lose the answer, or fail without charging. */
type Outcome = 'ok' | 'lost' | Error;

/** A gate a fake waits at until the test opens it. */
function gate() {
  let open: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (open = resolve));
  return { closed, open };
}

function harness() {
  let clock = T0;
  const store = createOrderStore(openDatabase(IN_MEMORY, ''), { seed: [], now: () => clock });
  const calls = {
    users: [] as Array<[number, ForwardHeaders]>,
    products: [] as Array<[number, ForwardHeaders]>,
    charges: [] as Array<{ request: ChargeRequest; options: ChargeOptions; pendingAtCharge: boolean; storedDeadline: number | undefined }>,
    finds: [] as Array<[string, string]>,
    notes: [] as Array<[NotificationRequest, ForwardHeaders]>,
  };
  const state = {
    users: new Map<number, UserSummary>([[1, alice], [2, bob]]),
    product: laptop as ProductSummary | undefined,
    productFails: false,
    outcomes: [] as Outcome[],
    findFails: new Set<string>(),
    notificationsDown: false,
    usersGate: undefined as Promise<void> | undefined,
    findGate: undefined as Promise<void> | undefined,
  };
  /** payments' charges by Idempotency-Key: what it holds whether or not orders heard the answer. */
  const ledger = new Map<string, ChargeResult & { orderId: string }>();
  // The real logger, read back line by line: the level and the fields, not the wording.
  const logs: Array<{ level: string; fields: LogFields }> = [];
  const logger = createLogger({
    service: 'orders',
    immediate: true,
    sink: {
      write: (text) => {
        for (const line of text.split('\n').filter(Boolean)) {
          const { time: _time, level, service: _service, msg: _msg, ...fields } = JSON.parse(line) as LogFields & { level: string };
          logs.push({ level, fields });
        }
      },
    },
  });

  const placement = createPlacement({
    store,
    locks: createKeyLocks(),
    logger,
    now: () => new Date(clock),
    chargeTimeoutMs: TIMEOUT_MS,
    users: {
      async getUser(id, h) {
        calls.users.push([id, h]);
        await state.usersGate;
        return state.users.get(id);
      },
    },
    products: {
      async getProduct(id, h) {
        calls.products.push([id, h]);
        if (state.productFails) throw new UpstreamError('products', 'upstream_unavailable', 'products is down');
        return id === state.product?.id ? state.product : undefined;
      },
    },
    payments: {
      async charge(request, options) {
        const pending = store.pendingBefore(Number.MAX_SAFE_INTEGER, 100).find((p) => p.key === options.idempotencyKey);
        calls.charges.push({ request, options, pendingAtCharge: store.get(request.orderId)?.status === 'pending', storedDeadline: pending?.chargeDeadline });
        const outcome = state.outcomes.shift() ?? 'ok';
        if (outcome instanceof Error) throw outcome;
        if (!ledger.has(options.idempotencyKey)) ledger.set(options.idempotencyKey, { id: `ch_${ledger.size + 1}`, status: 'succeeded', orderId: request.orderId });
        if (outcome === 'lost') throw new UpstreamError('payments', 'upstream_timeout', 'payments did not answer in time');
        const { orderId: _orderId, ...charge } = ledger.get(options.idempotencyKey)!;
        return charge;
      },
      async findCharge(orderId, key) {
        calls.finds.push([orderId, key]);
        await state.findGate;
        if (state.findFails.delete(key)) throw new UpstreamError('payments', 'upstream_unavailable', 'payments is down');
        const charge = ledger.get(key);
        return charge?.orderId === orderId ? { id: charge.id, status: charge.status } : undefined;
      },
    },
    notifications: {
      async notify(request, h) {
        calls.notes.push([request, h]);
        if (state.notificationsDown) throw new UpstreamError('notifications', 'upstream_unavailable', 'notifications is down');
      },
    },
  });
  return { placement, store, calls, state, ledger, logs, at: (ms: number) => (clock = ms) };
}

const isHttpError = (status: number, code: string) => (e: unknown) => {
  assert.ok(e instanceof HttpError, String(e));
  assert.equal(e.status, status);
  assert.equal(e.code, code);
  return true;
};

test('a new order is re-priced, written pending with its key, charged once with the key and a deadline, then paid and notified', async () => {
  const { placement, store, calls } = harness();
  const { view, replayed } = await placement.place(alice, twoLaptops, 'checkout-1', headers);

  assert.equal(replayed, false);
  const paid = store.get(view.order_id)!;
  assert.deepEqual(paid, {
    order_id: view.order_id, user_id: 1, product_id: 101, quantity: 2, unit_price_cents: 129900, total_cents: 259800,
    currency: 'EUR', status: 'paid', payment_id: 'ch_1', created_at: '2026-03-01T12:00:00.000Z',
  });
  assert.deepEqual(view, { ...paid, user: alice, product: shownLaptop }, 'the view never shows the unit price field of products');
  assert.deepEqual(calls.users, [[1, headers]]);
  assert.deepEqual(calls.products, [[101, headers]]);

  assert.equal(calls.charges.length, 1);
  const [charge] = calls.charges;
  assert.deepEqual(charge!.request, { orderId: view.order_id, userId: 1, amountCents: 259800, currency: 'EUR' });
  const deadline = T0 + TIMEOUT_MS - DEADLINE_MARGIN_MS;
  assert.deepEqual(charge!.options, { idempotencyKey: 'checkout-1', deadline, headers });
  assert.equal(charge!.pendingAtCharge, true, 'the order exists, pending, before payments is asked');
  assert.equal(charge!.storedDeadline, deadline, 'the store holds the deadline payments was sent');
  assert.deepEqual(store.findByKey('checkout-1')?.order, paid);

  assert.equal(calls.notes.length, 1);
  const [note, noteHeaders] = calls.notes[0]!;
  assert.equal(note.orderId, view.order_id);
  assert.equal(note.userId, 1);
  assert.match(note.message, new RegExp(`${view.order_id}.*2 × Laptop`), 'the shopper reads which order and what was bought');
  assert.deepEqual(noteHeaders, headers);
});

test('the fingerprint is the shopper and the body: the same order in another key order replays', async () => {
  const { placement, calls } = harness();
  const first = await placement.place(alice, twoLaptops, 'k', headers);
  const again = await placement.place(alice, { unitPriceCents: 129900, quantity: 2, productId: 101 }, 'k', headers);
  assert.equal(again.replayed, true);
  assert.equal(again.view.order_id, first.view.order_id);
  assert.equal(calls.charges.length, 1);
});

test('a quoted price that is not today\'s is 409 price_changed with the new price; nothing is written or charged and the key stays free', async () => {
  const { placement, store, calls } = harness();
  for (const quoted of [139900, 129899]) {
    await assert.rejects(placement.place(alice, { ...twoLaptops, unitPriceCents: quoted }, 'k', headers), (e: unknown) => {
      isHttpError(409, 'price_changed')(e);
      assert.deepEqual((e as HttpError).details, { product_id: 101, unit_price_cents: 129900, quoted_unit_price_cents: quoted, currency: 'EUR' });
      return true;
    });
  }
  assert.equal(store.count(), 0);
  assert.equal(store.findByKey('k'), undefined);
  assert.equal(calls.charges.length, 0);

  const confirmed = await placement.place(alice, twoLaptops, 'k', headers);
  assert.equal(confirmed.replayed, false);
  assert.equal(confirmed.view.total_cents, 259800);
});

test('an unknown shopper is 403 and an unknown product 400; nothing is written or charged', async () => {
  const { placement, store, calls, state } = harness();
  await assert.rejects(placement.place({ id: 9, name: 'Gone' }, twoLaptops, 'k1', headers), isHttpError(403, 'unknown_user'));
  await assert.rejects(placement.place(alice, { ...twoLaptops, productId: 999 }, 'k2', headers), isHttpError(400, 'unknown_product'));
  state.product = undefined;
  await assert.rejects(placement.place(alice, twoLaptops, 'k3', headers), isHttpError(400, 'unknown_product'));
  assert.equal(store.count(), 0);
  assert.equal(calls.charges.length, 0);
});

test('a key reused with another body, or by another shopper, is 409 idempotency_key_reused and charges nothing more', async () => {
  const { placement, store, calls } = harness();
  const first = await placement.place(alice, twoLaptops, 'k', headers);
  await assert.rejects(placement.place(alice, { ...twoLaptops, quantity: 3 }, 'k', headers), isHttpError(409, 'idempotency_key_reused'));
  await assert.rejects(placement.place(bob, twoLaptops, 'k', headers), isHttpError(409, 'idempotency_key_reused'));
  assert.equal(calls.charges.length, 1);
  assert.equal(store.count(), 1);
  assert.equal(store.get(first.view.order_id)?.status, 'paid');
});

test('a paid order\'s replay answers from the store without charging or notifying again', async () => {
  const { placement, calls, state } = harness();
  const first = await placement.place(alice, twoLaptops, 'k', headers);
  state.product = { ...laptop, unitPriceCents: 99900, name: 'Laptop (2026)' };
  const again = await placement.place(alice, twoLaptops, 'k', headers);
  assert.equal(again.replayed, true);
  assert.deepEqual(again.view, { ...first.view, product: { ...shownLaptop, name: 'Laptop (2026)' } }, 'what was charged stays; the product is shown as it is today');
  assert.deepEqual(calls.users.at(-1), [1, headers]);
  assert.deepEqual(calls.products.at(-1), [101, headers]);
  assert.equal(calls.charges.length, 1);
  assert.equal(calls.notes.length, 1);
});

test('a replay still answers when the user is gone or products fails: the token\'s name and no product', async () => {
  const { placement, state } = harness();
  const first = await placement.place(alice, twoLaptops, 'k', headers);
  state.users.delete(1);
  state.productFails = true;
  const again = await placement.place({ id: 1, name: 'Alice from the token' }, twoLaptops, 'k', headers);
  assert.deepEqual(again.view, { ...first.view, user: { id: 1, name: 'Alice from the token' }, product: null });
});

test('an unknown charge outcome leaves the order pending (504 on a timeout, 502 otherwise); a retry charges again with a new deadline and completes it', async () => {
  const { placement, store, calls, state, at } = harness();
  const timeout = new UpstreamError('payments', 'upstream_timeout', 'payments did not answer');
  state.outcomes.push(timeout);
  await assert.rejects(placement.place(alice, twoLaptops, 'k', headers), (e: unknown) => isHttpError(504, 'payment_unconfirmed')(e) && (e as Error).cause === timeout);
  const pending = store.findByKey('k')!.order;
  assert.equal(pending.status, 'pending');
  assert.equal(calls.notes.length, 0);

  for (const failure of ['upstream_error', 'upstream_unavailable'] as const) {
    state.outcomes.push(new UpstreamError('payments', failure, 'payments failed'));
    await assert.rejects(placement.place(alice, twoLaptops, 'k', headers), isHttpError(502, 'payment_unconfirmed'));
  }
  state.outcomes.push('lost');
  at(T0 + 60_000);
  await assert.rejects(placement.place(alice, twoLaptops, 'k', headers), isHttpError(504, 'payment_unconfirmed'));
  assert.equal(store.get(pending.order_id)?.status, 'pending');

  at(T0 + 90_000);
  const retried = await placement.place(alice, twoLaptops, 'k', headers);
  assert.equal(retried.replayed, true);
  assert.equal(retried.view.order_id, pending.order_id);
  assert.equal(retried.view.status, 'paid');
  assert.equal(retried.view.payment_id, 'ch_1', 'payments replays the charge it made when the answer was lost');
  assert.deepEqual(retried.view.user, alice);
  assert.deepEqual(retried.view.product, shownLaptop);
  assert.equal(store.count(), 1);

  assert.equal(calls.charges.length, 5);
  for (const c of calls.charges) {
    assert.equal(c.options.idempotencyKey, 'k');
    assert.deepEqual(c.request, { orderId: pending.order_id, userId: 1, amountCents: 259800, currency: 'EUR' });
    assert.equal(c.storedDeadline, c.options.deadline, 'the store holds the deadline of the attempt in flight');
  }
  assert.equal(calls.charges.at(-1)!.options.deadline, T0 + 90_000 + TIMEOUT_MS - DEADLINE_MARGIN_MS);
  assert.equal(calls.notes.length, 1);
});

test('a retry that completes a pending order whose product is gone notifies with the product id', async () => {
  const { placement, calls, state } = harness();
  state.outcomes.push(new UpstreamError('payments', 'upstream_timeout', 'lost'));
  await assert.rejects(placement.place(alice, { ...twoLaptops, quantity: 1 }, 'k', headers));
  state.productFails = true;
  const retried = await placement.place(alice, { ...twoLaptops, quantity: 1 }, 'k', headers);
  assert.equal(retried.view.status, 'paid');
  assert.equal(retried.view.product, null);
  assert.match(calls.notes[0]![0].message, /1 × product 101/);
});

test('payments refusing (nothing charged), a 409 conflict, or any other error passes through unchanged and the order stays pending', async () => {
  const { placement, store, state } = harness();
  const refused = new ChargeNotMade('payments refused the charge (401)');
  const conflict = new HttpError(409, 'payment_conflict', 'another charge holds this key');
  const bug = new TypeError('boom');
  for (const failure of [refused, conflict, bug]) {
    state.outcomes.push(failure);
    await assert.rejects(placement.place(alice, twoLaptops, 'k', headers), (e: unknown) => e === failure);
  }
  assert.equal(store.findByKey('k')?.order.status, 'pending');
  assert.equal(store.count(), 1);
});

test('a failing notifications service does not undo a paid order; the warning names the order', async () => {
  const { placement, store, state, logs, calls } = harness();
  state.notificationsDown = true;
  const { view } = await placement.place(alice, twoLaptops, 'k', headers);
  assert.equal(view.status, 'paid');
  assert.equal(store.get(view.order_id)?.status, 'paid');
  assert.equal(calls.notes.length, 1);
  const warnings = logs.filter((l) => l.level === 'warn');
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0]!.fields?.orderId, view.order_id);
  assert.equal(warnings[0]!.fields?.error, 'notifications is down');
});

test('concurrent duplicates of a key wait for the first attempt: one order, one charge', async () => {
  const { placement, store, calls, state } = harness();
  const users = gate();
  state.usersGate = users.closed;
  const attempts = [1, 2, 3].map(() => placement.place(alice, twoLaptops, 'dup', headers));
  users.open();
  const results = await Promise.all(attempts);
  assert.deepEqual(results.map((r) => r.replayed), [false, true, true]);
  assert.equal(new Set(results.map((r) => r.view.order_id)).size, 1);
  assert.equal(calls.charges.length, 1);
  assert.equal(store.count(), 1);
});

/** Two orders left pending: payments made the first (its answer was lost), never the second. */
async function twoPending() {
  const h = harness();
  h.state.outcomes.push('lost', new UpstreamError('payments', 'upstream_error', 'payments answered 503'));
  await assert.rejects(h.placement.place(alice, twoLaptops, 'lost', headers));
  h.at(T0 + 1);
  await assert.rejects(h.placement.place(alice, twoLaptops, 'never', headers));
  const lost = h.store.findByKey('lost')!.order;
  const never = h.store.findByKey('never')!.order;
  const warnings = () => h.logs.filter((l) => l.level === 'warn');
  return { ...h, lost, never, warnings, deadline: T0 + TIMEOUT_MS - DEADLINE_MARGIN_MS };
}

test('the reconciler waits until deadline plus grace has passed, then pays what payments holds and cancels the rest', async () => {
  const { placement, store, calls, logs, lost, never, deadline, at } = await twoPending();
  at(deadline + 1 + 5000);
  assert.deepEqual(await placement.reconcile(5000), { paid: 1, cancelled: 0 }, 'at exactly deadline + grace payments may still be answering');
  assert.deepEqual(calls.finds, [[lost.order_id, 'lost']]);
  calls.finds.length = 0;

  at(deadline + 1 + 5001);
  assert.deepEqual(await placement.reconcile(5000), { paid: 0, cancelled: 1 });
  assert.deepEqual(await placement.reconcile(5000), { paid: 0, cancelled: 0 });
  assert.deepEqual(calls.finds, [[never.order_id, 'never']]);
  assert.deepEqual(store.get(lost.order_id), { ...lost, status: 'paid', payment_id: 'ch_1' });
  assert.deepEqual(store.get(never.order_id), { ...never, status: 'cancelled' });
  assert.deepEqual(logs.filter((l) => l.level === 'info').map((l) => l.fields), [
    { orderId: lost.order_id, status: 'paid' },
    { orderId: never.order_id, status: 'cancelled' },
  ]);

  assert.deepEqual(await placement.reconcile(5000), { paid: 0, cancelled: 0 }, 'settled orders are not offered again');
  const replay = await placement.place(alice, twoLaptops, 'lost', headers);
  assert.equal(replay.view.status, 'paid');
  await assert.rejects(placement.place(alice, twoLaptops, 'never', headers), isHttpError(409, 'order_cancelled'));
  assert.equal(calls.charges.length, 2, 'neither a replay nor a cancelled key charges');
});

test('the reconciler settles at most `limit` orders a run, earliest deadline first', async () => {
  const { placement, store, lost, never, deadline, at } = await twoPending();
  at(deadline + 10_000);
  assert.deepEqual(await placement.reconcile(0, 1), { paid: 1, cancelled: 0 });
  assert.equal(store.get(never.order_id)?.status, 'pending');
  assert.deepEqual(await placement.reconcile(0, 1), { paid: 0, cancelled: 1 });
  assert.equal(store.get(lost.order_id)?.status, 'paid');
});

test('a failed ledger lookup leaves that order pending for the next run; the others are still settled', async () => {
  const { placement, store, state, logs, lost, never, deadline, at } = await twoPending();
  state.findFails.add('lost');
  at(deadline + 10_000);
  assert.deepEqual(await placement.reconcile(1000), { paid: 0, cancelled: 1 });
  assert.equal(store.get(lost.order_id)?.status, 'pending');
  assert.equal(store.get(never.order_id)?.status, 'cancelled');
  assert.deepEqual(logs.filter((l) => l.level === 'warn').map((l) => [l.fields?.orderId, l.fields?.error]), [[lost.order_id, 'payments is down']]);
  assert.deepEqual(await placement.reconcile(1000), { paid: 1, cancelled: 0 });
});

test('the reconciler does not wait for an order a request is working on', async () => {
  const { placement, store, state, calls, lost, never, warnings, at } = await twoPending();
  at(T0 + 60_000);
  const users = gate();
  state.usersGate = users.closed;
  const retry = placement.place(alice, twoLaptops, 'lost', headers);
  const settled = placement.reconcile(1000);
  const patience = new AbortController();
  const finished = await Promise.race([settled, delay(500, 'still waiting', { signal: patience.signal })]);
  patience.abort();
  assert.deepEqual(finished, { paid: 0, cancelled: 1 }, 'it settles the other order and leaves the one in flight');
  assert.deepEqual(calls.finds.map(([, key]) => key), ['never']);
  assert.equal(store.get(lost.order_id)?.status, 'pending');
  users.open();
  assert.equal((await retry).view.status, 'paid');
  assert.equal(store.get(never.order_id)?.status, 'cancelled');
  assert.deepEqual(warnings(), []);
});

test('an order settled while the reconciler was busy with another is not settled again', async () => {
  const { placement, store, state, ledger, lost, never, warnings, at } = await twoPending();
  at(T0 + 60_000);
  const finds = gate();
  state.findGate = finds.closed;
  const settled = placement.reconcile(1000);
  // While the reconciler waits on payments for the first order, the shopper retries the second.
  const retried = await placement.place(alice, twoLaptops, 'never', headers);
  assert.equal(retried.view.status, 'paid');
  finds.open();
  assert.deepEqual(await settled, { paid: 1, cancelled: 0 });
  assert.equal(store.get(lost.order_id)?.status, 'paid');
  assert.equal(store.get(never.order_id)?.payment_id, ledger.get('never')!.id);
  assert.deepEqual(warnings(), []);
});

test('an order retried while the reconciler was busy, with an unknown outcome again, waits for its new deadline', async () => {
  const { placement, store, state, ledger, never, at } = await twoPending();
  at(T0 + 60_000);
  const finds = gate();
  state.findGate = finds.closed;
  const settled = placement.reconcile(1000);
  // The retry's answer is lost too, so payments may still charge it until the retry's own deadline.
  state.outcomes.push(new UpstreamError('payments', 'upstream_unavailable', 'connection reset'));
  await assert.rejects(placement.place(alice, twoLaptops, 'never', headers), isHttpError(502, 'payment_unconfirmed'));
  finds.open();
  assert.deepEqual(await settled, { paid: 1, cancelled: 0 }, 'the retried order is not cancelled under a charge in flight');
  assert.equal(store.get(never.order_id)?.status, 'pending');

  // payments does make that charge before the deadline; the next run after deadline + grace pays it.
  ledger.set('never', { id: 'ch_late', status: 'succeeded', orderId: never.order_id });
  const retryDeadline = T0 + 60_000 + TIMEOUT_MS - DEADLINE_MARGIN_MS;
  at(retryDeadline + 1000);
  assert.deepEqual(await placement.reconcile(1000), { paid: 0, cancelled: 0 });
  at(retryDeadline + 1001);
  assert.deepEqual(await placement.reconcile(1000), { paid: 1, cancelled: 0 });
  assert.equal(store.get(never.order_id)?.payment_id, 'ch_late');
});
