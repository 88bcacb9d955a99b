// The k6 scripts' own requests and response classification, run against the real services as
// processes on 127.0.0.1, behind a stand-in gateway built from the rendered baseline overlay. This
// catches a drift between what the load tests send and what the shop answers, without a cluster.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { request } from 'undici';
import { renderKustomization } from '../../scripts/lib/kube/render.ts';
import { repoRoot } from '../../scripts/lib/versions.ts';
import { startShop, type Shop } from '../../test/support/harness.ts';
import { gatewayRoutes, resolveRoute, startLocalGateway, type LocalGateway } from '../../test/support/gateway.ts';
import { classify } from './classify.ts';
import { GATEWAY_PROBES, LEDGER_PATH, ORDER_PATH, PLACE_ORDER_PATH, PRODUCT_PATH, TOKEN_PATH, TOKEN_REQUEST_BODY, bearerHeader, chargeCount, orderBody, orderIdOf, tokenOf } from './endpoints.ts';

const GATEWAY = 'istio-ingress/shop-gateway';
const HOST = 'shop.localhost';

let shop: Shop;
let gateway: LocalGateway;
let routes: ReturnType<typeof gatewayRoutes>;

async function send(method: 'GET' | 'POST', p: string, body?: string, headers: Record<string, string> = {}) {
  const res = await request(`${gateway.url}${p}`, {
    method,
    headers: { host: HOST, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body ? { body } : {}),
    headersTimeout: 15_000,
    bodyTimeout: 15_000,
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers as Record<string, string | string[] | undefined>, body: text };
}

before(async () => {
  routes = gatewayRoutes(await renderKustomization(path.join(repoRoot, 'overlays', 'baseline')), GATEWAY, HOST);
  shop = await startShop({ env: { NODE_ENV: 'development' } });
  gateway = await startLocalGateway(routes, shop.urls);
});

after(async () => {
  await gateway?.close();
  await shop?.stop();
});

test('the baseline routes strip /api before the service sees the path', () => {
  assert.equal(resolveRoute(routes, '/api/products/101')?.path, '/products/101');
  assert.equal(resolveRoute(routes, '/api/auth/token')?.route.service, 'users');
  assert.equal(resolveRoute(routes, '/api/payments?order=5001')?.path, '/payments?order=5001');
});

test('every gateway probe the runner sends answers 2xx from the service its route names', async () => {
  for (const [prefix, probe] of Object.entries(GATEWAY_PROBES)) {
    if (!probe) continue;
    const resolved = resolveRoute(routes, probe);
    assert.ok(resolved, `${prefix}: no baseline route matches ${probe}`);
    assert.ok(shop.names.includes(resolved.route.service), `${resolved.route.service} is a discovered service`);
    const res = classify(await send('GET', probe));
    assert.equal(res.kind, 'ok', `${probe} answered ${res.status}`);
    assert.equal(res.service, resolved.route.service, `${probe} was answered by ${res.service}`);
    assert.equal(res.version, 'v1');
    assert.ok(res.pod, `${probe} carries x-pod`);
  }
});

test('the canary and fault scripts classify a product answer by version and pod', async () => {
  const res = classify(await send('GET', PRODUCT_PATH));
  assert.deepEqual([res.kind, res.service, res.version], ['ok', 'products', 'v1']);
  const order = classify(await send('GET', ORDER_PATH));
  assert.equal(order.kind, 'ok');
});

test('the retries script signs in, places an order and finds exactly one charge for it in the ledger', async () => {
  const token = tokenOf((await send('POST', TOKEN_PATH, TOKEN_REQUEST_BODY)).body);
  assert.ok(token);
  const key = `k6-check-${process.pid}-${Date.now()}`;
  const anonymous = await send('POST', PLACE_ORDER_PATH, orderBody(), { 'idempotency-key': key });
  assert.equal(anonymous.status, 401, 'orders needs a token');
  const auth = bearerHeader(token);
  const first = await send('POST', PLACE_ORDER_PATH, orderBody(), { 'idempotency-key': key, ...auth });
  assert.ok(first.status >= 200 && first.status < 300, `POST ${PLACE_ORDER_PATH} answered ${first.status}: ${first.body}`);
  const id = orderIdOf(first.body);
  assert.ok(id, `no order id in ${first.body}`);
  const replay = await send('POST', PLACE_ORDER_PATH, orderBody(), { 'idempotency-key': key, ...auth });
  assert.equal(orderIdOf(replay.body), id);
  const ledger = await send('GET', LEDGER_PATH(id));
  assert.equal(chargeCount(ledger.body), 1, ledger.body);
});

test('the jwt script obtains a token with its request body, and the token passes orders on the protected path', async () => {
  const res = await send('POST', TOKEN_PATH, TOKEN_REQUEST_BODY);
  assert.equal(res.status, 200, res.body);
  const token = tokenOf(res.body);
  assert.ok(token && token.split('.').length === 3, `no JWT in ${res.body}`);
  assert.equal((await send('GET', ORDER_PATH, undefined, bearerHeader(token))).status, 200);
  assert.equal((await send('GET', PLACE_ORDER_PATH, undefined, bearerHeader(token))).status, 200, 'the list of the token user\'s orders');
});
