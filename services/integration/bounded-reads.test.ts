// Bounded reads with 100,000 orders and 100,000 charges, written straight into the services' files
// through their store modules: every page is at most 100 items, a cursor walks all of them, memory
// stays flat while it does, and /healthz keeps answering fast. Prints the measured figures.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { databaseFile, openDatabase, transaction } from '../shared/src/database.ts';
import { fingerprintOf } from '../shared/src/idempotency.ts';
import { createLedger } from '../payments/src/ledger.ts';
import { createOrderStore } from '../orders/src/store.ts';
import { startShop } from '../../test/support/harness.ts';
import { call } from '../../test/support/http.ts';
import { bearer, tokenFor } from './support.ts';

const ROWS = 100_000;

/** Resident memory of a process in MiB (Linux /proc). */
function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? 0) / 1024;
}

function prefill(dataDir: string): void {
  const ordersDb = openDatabase(databaseFile(dataDir, 'orders'), '');
  const store = createOrderStore(ordersDb);
  const now = new Date();
  transaction(ordersDb, () => {
    for (let i = 0; i < ROWS; i++) store.createPending({ userId: 1, productId: 101, quantity: 1, unitPriceCents: 129900 }, `bulk-${i}`, 'f', 0, now);
  });
  ordersDb.exec("UPDATE orders SET status = 'paid', payment_id = 'ch_bulk' WHERE status = 'pending'");
  ordersDb.close();
  const paymentsDb = openDatabase(databaseFile(dataDir, 'payments'), '');
  const ledger = createLedger(paymentsDb);
  transaction(paymentsDb, () => {
    for (let i = 0; i < ROWS; i++) {
      const request = { orderId: String(10_000 + i), userId: 1, amountCents: 129900, currency: 'EUR' as const };
      ledger.charge(request, `bulk-${i}`, fingerprintOf(request));
    }
  });
  paymentsDb.close();
}

test('100,000 orders and charges: pages of at most 100, a cursor through all of them, flat memory, a responsive /healthz', { timeout: 180_000 }, async (t) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'shopmesh-bounded-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  prefill(dataDir);
  const shop = await startShop({ services: ['users', 'payments', 'orders'], env: { DATA_DIR: dataDir } });
  t.after(() => shop.stop());
  const auth = bearer(await tokenFor(shop.urls.users!));

  for (const [service, path_, headers] of [
    ['orders', '/orders', auth],
    ['payments', '/payments', {}],
  ] as const) {
    assert.equal((await call(`${shop.urls[service]}${path_}?limit=101`, { headers })).status, 400, `${service} refuses a page over 100`);
    const pid = shop.pid(service)!;
    await call(`${shop.urls[service]}${path_}?limit=100`, { headers }); // warm up
    const before = rssMiB(pid);
    let peak = before;
    let healthMax = 0;
    let items = 0;
    let pages = 0;
    let cursor: string | null = '';
    let biggest = 0;
    while (cursor !== null && pages < 2_000) {
      const query: string = cursor ? `?limit=100&cursor=${cursor}` : '?limit=100';
      const [page, health] = await Promise.all([call(`${shop.urls[service]}${path_}${query}`, { headers }), pages % 50 === 0 ? call(`${shop.urls[service]}/healthz`) : undefined]);
      assert.equal(page.status, 200, page.text.slice(0, 200));
      const body = page.json as Record<string, unknown> & { next_cursor: string | null };
      const list = (body.orders ?? body.charges) as unknown[];
      assert.ok(list.length <= 100);
      items += list.length;
      biggest = Math.max(biggest, page.text.length);
      cursor = body.next_cursor;
      pages++;
      if (health) healthMax = Math.max(healthMax, health.ms);
      if (pages % 100 === 0) peak = Math.max(peak, rssMiB(pid));
    }
    peak = Math.max(peak, rssMiB(pid));
    assert.ok(items >= ROWS, `${service}: the cursor walked every row (${items})`);
    t.diagnostic(`${service}: ${items} rows in ${pages} pages (largest page ${(biggest / 1024).toFixed(1)} KiB); RSS ${before.toFixed(0)} MiB before, peak ${peak.toFixed(0)} MiB; slowest /healthz ${healthMax.toFixed(0)} ms`);
    assert.ok(biggest < 64 * 1024, `${service}: a page stays small (${biggest} bytes)`);
    assert.ok(peak - before < 48, `${service}: memory grew ${(peak - before).toFixed(0)} MiB while walking ${ROWS} rows`);
    assert.ok(healthMax < 500, `${service}: /healthz took ${healthMax.toFixed(0)} ms during the walk`);
  }
});
