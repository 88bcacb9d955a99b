import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import type { ServiceInfo } from '../services.ts';
import { createPrefixer, colourEnabled } from './logs.ts';
import { buildDevPlan, DEV_SHUTDOWN_TIMEOUT_MS, formatDevPlan, parseOnly, parsePortBase } from './plan.ts';
import { busyPortError, findBusyPorts } from './ports.ts';

const SERVICES: ServiceInfo[] = [
  ['notifications', 5005],
  ['orders', 5003],
  ['payments', 5004],
  ['products', 5002],
  ['storefront', 5000],
  ['users', 5001],
].map(([name, port]) => ({ name: name as string, dir: `/repo/services/${name}`, devPort: port as number, devAdminPort: (port as number) + 100 }));

test('the plan starts every service leaf-first on the CONTRIBUTING dev ports, with upstreams wired', () => {
  const plan = buildDevPlan({ services: SERVICES, inherited: {} });
  assert.deepEqual(plan.map((p) => p.service), ['notifications', 'payments', 'products', 'users', 'orders', 'storefront']);
  const byName = Object.fromEntries(plan.map((p) => [p.service, p]));
  assert.deepEqual(
    Object.fromEntries(plan.map((p) => [p.service, [p.port, p.adminPort]])),
    { storefront: [5000, 5100], users: [5001, 5101], products: [5002, 5102], orders: [5003, 5103], payments: [5004, 5104], notifications: [5005, 5105] },
  );
  assert.deepEqual(byName.orders!.env, {
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    PORT: '5003',
    ADMIN_PORT: '5103',
    SHUTDOWN_TIMEOUT_MS: DEV_SHUTDOWN_TIMEOUT_MS,
    USERS_URL: 'http://127.0.0.1:5001',
    PRODUCTS_URL: 'http://127.0.0.1:5002',
    PAYMENTS_URL: 'http://127.0.0.1:5004',
    NOTIFICATIONS_URL: 'http://127.0.0.1:5005',
  });
  assert.equal(byName.storefront!.env.ORDERS_URL, 'http://127.0.0.1:5003');
  assert.equal(byName.products!.env.USERS_URL, undefined, 'a leaf service gets no upstream URLs');
  assert.deepEqual(byName.products!.args, ['--import', 'tsx', '--import', './scripts/lib/dev/orphan-guard.ts', 'services/products/src/main.ts']);
  assert.deepEqual(byName.products!.watch, ['services/products/src', 'services/shared/src'], 'a save in its own source or the shared code restarts it');
});

test('--port-base moves every port and URL; --only keeps upstream URLs on the moved dev ports', () => {
  const plan = buildDevPlan({ services: SERVICES, only: ['orders'], portBase: 6200, inherited: { SHUTDOWN_TIMEOUT_MS: '500' } });
  assert.equal(plan.length, 1);
  const [orders] = plan;
  assert.equal(orders!.port, 6203);
  assert.equal(orders!.adminPort, 6303);
  assert.equal(orders!.env.USERS_URL, 'http://127.0.0.1:6201');
  assert.equal(orders!.env.SHUTDOWN_TIMEOUT_MS, '500', "the developer's own drain deadline is kept");
});

test('the dry-run text names every process, port and variable', () => {
  const text = formatDevPlan(buildDevPlan({ services: SERVICES, only: ['users', 'products'], inherited: {} }));
  assert.match(text, /would start 2 services/);
  assert.match(text, /users {2}http:\/\/127\.0\.0\.1:5001 {2}\(admin http:\/\/127\.0\.0\.1:5101\)/);
  assert.match(text, /PORT=5002 ADMIN_PORT=5102 .*node --import tsx --import \.\/scripts\/lib\/dev\/orphan-guard\.ts services\/products\/src\/main\.ts/);
  assert.match(text, /watching services\/products\/src, services\/shared\/src/);
  assert.doesNotMatch(text, /orders/);
});

test('bad --port-base and --only values are refused with the value in the message', () => {
  assert.equal(parsePortBase(undefined), 5000);
  assert.equal(parsePortBase('7000'), 7000);
  assert.throws(() => parsePortBase('80'), /1024 to 65000; got "80"/);
  assert.throws(() => parsePortBase('abc'), /got "abc"/);
  assert.deepEqual(parseOnly('users, products,users', ['users', 'products']), ['users', 'products']);
  assert.equal(parseOnly(undefined, ['users']), undefined);
  assert.throws(() => parseOnly('users,nope', ['users']), /unknown service "nope" in --only/);
  assert.throws(() => parseOnly(',', ['users']), /at least one/);
});

test('a busy port is reported by number and service before anything starts', async (t) => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  const taken = (blocker.address() as net.AddressInfo).port;
  // A base that puts products' admin port exactly on the taken port.
  const base = taken - 102;
  const plan = buildDevPlan({ services: SERVICES, only: ['products'], portBase: base, inherited: {} });
  assert.equal(plan[0]!.adminPort, taken);
  const busy = await findBusyPorts(plan, '127.0.0.1');
  // Only the taken port is asserted: the neighbouring HTTP port could be in use by chance on a shared machine.
  const hit = busy.find((b) => b.port === taken);
  assert.deepEqual(hit && [hit.service, hit.kind], ['products', 'admin']);
  const err = busyPortError([hit!], '127.0.0.1');
  assert.match(err.message, new RegExp(`port ${taken} \\(products admin API\\) is already in use on 127\\.0\\.0\\.1`));
  assert.match(err.hint, /--port-base/);
});

test('log lines carry a padded service prefix, coloured only when asked', () => {
  const plain = createPrefixer(['users', 'notifications'], false);
  assert.equal(plain.format('users', 'hello'), `${'users'.padEnd(13)} | hello`);
  const coloured = createPrefixer(['users'], true);
  assert.match(coloured.format('users', 'hello'), /^\x1b\[\d+musers \|\x1b\[0m hello$/);
  assert.equal(colourEnabled({ isTTY: true }, { NO_COLOR: '1' }), false);
  assert.equal(colourEnabled({ isTTY: false }, {}), false);
  assert.equal(colourEnabled({ isTTY: true }, {}), true);
});
