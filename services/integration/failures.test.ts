// Failure paths with real processes: an upstream that is down, and SIGTERM in the middle of load.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startShop } from '../../test/support/harness.ts';
import { call, type CallResult } from '../../test/support/http.ts';
import { bearer, checkoutThroughStorefront, LAPTOP, ledger, orderIdOf, placeOrder, tokenFor } from './support.ts';

const UPSTREAM_TIMEOUT_MS = 1_500;

test('payments down: orders answers a clean 502/503 and no charge; once payments is back, the same key goes through', async (t) => {
  const shop = await startShop({ env: { UPSTREAM_TIMEOUT_MS: String(UPSTREAM_TIMEOUT_MS) } });
  t.after(() => shop.stop());
  await shop.kill('payments');

  const key = randomUUID();
  const order = { ...LAPTOP, quantity: 1 };
  const auth = bearer(await tokenFor(shop.urls.users!));
  // The client waits far longer than the upstream timeout, so an answer at all shows orders kept its own deadline.
  const down = await placeOrder(shop.urls.orders!, key, order, auth);
  assert.ok(down.status === 502 || down.status === 503, `expected 502 or 503 with payments down, got ${down.status || down.error}: ${down.text}`);
  const error = (down.json as { error?: { code?: string; message?: string } }).error;
  assert.ok(typeof error?.code === 'string' && typeof error.message === 'string', `error shape: ${down.text}`);
  assert.doesNotMatch(down.text, /\n\s+at /, 'no stack trace');
  assert.equal(shop.isRunning('orders'), true);

  if (shop.names.includes('storefront')) {
    // Through the storefront too, once it exists: the shopper sees a message, never a stack trace.
    const { checkout } = await checkoutThroughStorefront(shop.urls.storefront!, 101);
    assert.ok(checkout.status === 502 || checkout.status === 503, `storefront checkout with payments down answered ${checkout.status}`);
    assert.match(checkout.text, /you were not charged/i, 'payments was refused the connection, so "not charged" is true and said');
    assert.doesNotMatch(checkout.text, /\n\s+at .+:\d+:\d+/, 'no stack trace on the page');
  }

  await shop.restart('payments');
  const back = await placeOrder(shop.urls.orders!, key, order, auth);
  assert.ok(back.status === 200 || back.status === 201, `after recovery the same key answered ${back.status}: ${back.text}`);
  const orderId = orderIdOf(back);
  assert.equal((await ledger(shop.urls.payments!, orderId)).length, 1, 'exactly one charge after recovery');
  const fresh = await placeOrder(shop.urls.orders!, randomUUID(), order, auth);
  assert.ok(fresh.status === 200 || fresh.status === 201, `a new order after recovery answered ${fresh.status}`);
});

interface Sent {
  at: number;
  doneAt: number;
  res: CallResult;
}

test('SIGTERM during steady load: every request already in flight completes, and the process exits cleanly', async (t) => {
  // Each request takes 300 ms (a behaviour switch), so a dozen are in flight when SIGTERM lands.
  const shop = await startShop({
    services: ['products'],
    serviceEnv: { products: { LATENCY_MS: '300', LATENCY_PERCENT: '100', SHUTDOWN_TIMEOUT_MS: '8000' } },
    stopTimeoutMs: 15_000,
  });
  t.after(() => shop.stop());
  const url = `${shop.urls.products}/products/101`;
  assert.equal((await call(url)).status, 200);

  const sent: Promise<Sent>[] = [];
  let sigtermAt = Number.POSITIVE_INFINITY;
  const exited = shop.exited('products');
  // Steady load: one request every 20 ms; SIGTERM after 40 requests; 20 more after it.
  for (let i = 0; i < 60; i++) {
    if (i === 40) {
      sigtermAt = performance.now();
      shop.signal('products', 'SIGTERM');
    }
    const at = performance.now();
    sent.push(call(url, { timeoutMs: 20_000 }).then((res) => ({ at, doneAt: performance.now(), res })));
    await sleep(20);
  }
  const results = await Promise.all(sent);
  const exit = await exited;

  const before = results.filter((r) => r.at < sigtermAt);
  const afterSignal = results.filter((r) => r.at >= sigtermAt);
  assert.equal(before.length, 40);
  const inFlight = before.filter((r) => r.doneAt > sigtermAt).length;
  assert.ok(inFlight >= 3, `the test needs requests in flight at SIGTERM; there were ${inFlight}`);
  const failedInFlight = before.filter((r) => r.res.status !== 200);
  assert.deepEqual(
    failedInFlight.map((r) => r.res.status || r.res.error),
    [],
    'every request sent before SIGTERM is answered 200',
  );
  // After SIGTERM the service may refuse new work, but only as draining does: 503, or no connection.
  for (const r of afterSignal) {
    const ok = r.res.status === 200 || r.res.status === 503 || r.res.status === 0;
    assert.ok(ok, `a request after SIGTERM got ${r.res.status}: ${r.res.text.slice(0, 200)}`);
  }
  assert.equal(exit.code, 0, `products exited with ${JSON.stringify(exit)}; stderr:\n${shop.stderr('products')}`);
  // The drain ran in order: readiness false first (the `draining` line), then a clean stop before the deadline.
  const lines = shop.jsonLogs('products');
  const draining = lines.findIndex((j) => j.msg === 'draining');
  const stopped = lines.findIndex((j) => j.msg === 'stopped');
  assert.ok(draining >= 0 && stopped > draining, `draining then stopped in the log: ${JSON.stringify(lines.slice(-3))}`);
  assert.equal(lines[stopped]!.clean, true, 'every connection finished before the shutdown deadline');
});
