import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseManifests } from '../kube/render.ts';
import { footprint, formatFootprintTable, parseQuantity } from './footprint.ts';
import { checkKustomizations, checkRendered, formatFinding, shippedKustomizations, type CheckResult } from './index.ts';
import { ObjectIndex, resolveHost } from './objects.ts';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const load = (name: string) => parseManifests(readFileSync(path.join(fixtures, name), 'utf8'));

/** Each broken fixture, checked on top of the valid base shop, and exactly the errors it must produce. */
const expected: Record<string, string[]> = {
  'schema-unknown-field.yaml': [
    'VirtualService shop/products: spec.http[0].route[0].destination.subsett is not a field of this kind (misspelled? the API server would silently drop it)',
  ],
  'schema-invalid-type.yaml': ['DestinationRule shop/orders: spec.trafficPolicy.connectionPool.tcp.maxConnections must be integer'],
  'schema-unknown-kind.yaml': [
    'VirtualServce shop/products: apiVersion "networking.istio.io/v1" kind "VirtualServce" is not a kind known to Kubernetes, Istio, cert-manager or Gateway API (check the apiVersion and kind)',
  ],
  'schema-missing-required.yaml': ['Gateway shop/shop-gateway: spec.servers[0].port is required'],
  'ref-host.yaml': ['VirtualService shop/products: spec.http[0].route[0].destination.host "prodcts" does not resolve to a Service or ServiceEntry in this overlay'],
  'ref-subset.yaml': ['VirtualService shop/products: spec.http[0].route[1].destination.subset "v3" is not defined by any DestinationRule for host products.shop'],
  'ref-subset-selects.yaml': ['DestinationRule shop/orders: spec.subsets[1].labels of subset "v2" select no pod template behind Service shop/orders ({"version":"v2"})'],
  'ref-weights.yaml': ['VirtualService shop/products: spec.http[0].route weights add up to 110, not 100 (v1=90, v1=20)'],
  'ref-gateway.yaml': ['VirtualService shop/products: spec.gateways[0] "istio-ingress/shop-gw" does not name a Gateway in this overlay (looked for istio-ingress/shop-gw)'],
  'ref-credential.yaml': [
    'Gateway istio-ingress/shop-gateway: spec.servers[0].tls.credentialName "shop-tls" matches no Certificate secretName (or Secret) in namespace istio-ingress, where the gateway reads it',
  ],
  'ref-selector.yaml': ['AuthorizationPolicy shop/allow-products: spec.selector.matchLabels {"app":"prodcts"} selects no workload in namespace shop, so the AuthorizationPolicy applies to nothing'],
  'ref-gateway-only.yaml': [
    'VirtualService shop/products: spec.gateways binds only to gateways, but Deployment orders-v1 calls "products" inside the mesh; add "mesh" or these rules skip them',
  ],
  'ref-principal.yaml': [
    'AuthorizationPolicy shop/allow-products: spec.rules[0].from[0].source.principals[0] "cluster.local/ns/shop/sa/ghost" names a ServiceAccount that this overlay does not render',
  ],
  'workload-restricted.yaml': [
    'Deployment shop/payments-v1: spec.template.spec.containers[0].securityContext.capabilities.drop must include ALL',
    'Deployment shop/payments-v1: spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem must be true (mount an emptyDir where the process writes)',
  ],
  'workload-resources.yaml': [
    'Deployment shop/payments-v1: spec.template.spec.containers[0].resources.limits.cpu is missing',
    'Deployment shop/payments-v1: spec.template.spec.containers[0].resources.limits.memory is missing',
  ],
  'workload-probes.yaml': ['Deployment shop/payments-v1: spec.template.spec.containers[0].livenessProbe is missing'],
  'workload-labels.yaml': [
    'Deployment shop/payments-v1: spec.template.metadata.labels.version is missing (Istio uses app and version for telemetry and subsets)',
    'Deployment shop/payments-v1: spec.selector.matchLabels.version is missing',
  ],
  'workload-service-account.yaml': [
    'Deployment shop/payments-v1: spec.template.spec.serviceAccountName "orders" should be named after the app "payments" (one ServiceAccount per app)',
    'ServiceAccount shop/orders: ServiceAccount shop/orders is shared by apps orders, payments; give each app its own identity',
  ],
};

describe('check rules on broken fixtures', () => {
  const results = new Map<string, Awaited<ReturnType<typeof checkRendered>>[number]>();
  before(async () => {
    const base = load('base-shop.yaml');
    const names = ['base-shop.yaml', ...Object.keys(expected)];
    // One batch, so one type-check run covers every fixture.
    const checked = await checkRendered(names.map((n) => ({ overlay: `fixtures/${n}`, objects: n === 'base-shop.yaml' ? base : [...base, ...load(n)] })));
    checked.forEach((r) => results.set(r.overlay.replace('fixtures/', ''), r));
  });

  it('passes the valid base shop clean', () => {
    const r = results.get('base-shop.yaml')!;
    assert.deepEqual([...r.errors, ...r.warnings].map(formatFinding), []);
  });

  for (const [name, messages] of Object.entries(expected)) {
    it(`catches ${name.replace('.yaml', '')}`, () => {
      const r = results.get(name)!;
      assert.deepEqual(
        r.errors.map(formatFinding),
        messages.map((m) => `fixtures/${name}: ${m}`),
      );
      const rule = name.replace('.yaml', '').replace('-', '/');
      assert.ok(r.errors.every((e) => e.rule.startsWith(rule.split('/')[0]!)), `rules: ${r.errors.map((e) => e.rule).join(', ')}`);
    });
  }
});

describe('check over kustomize', () => {
  let shipped: CheckResult[];
  before(async () => {
    shipped = await checkKustomizations([...shippedKustomizations(), path.join(fixtures, 'render-missing-resource')]);
  });

  it('renders every shipped overlay clean, with no errors and no warnings', () => {
    const overlays = shipped.filter((r) => !r.overlay.includes('fixtures'));
    assert.ok(overlays.length >= 15, `only ${overlays.length} kustomizations found`);
    for (const name of ['baseline', 'canary', 'ab', 'fault', 'timeout', 'retries', 'breaker', 'mirror', 'mtls', 'jwt', 'authz', 'tls', 'ratelimit', 'lb']) {
      assert.ok(overlays.some((r) => r.overlay === `overlays/${name}`), `overlays/${name} is missing`);
    }
    for (const r of overlays) {
      assert.ok(r.objects.length > 0, `${r.overlay} rendered nothing`);
      assert.deepEqual([...r.errors, ...r.warnings].map(formatFinding), [], r.overlay);
    }
  });

  it('labels every rendered object part-of shopmesh', () => {
    for (const r of shipped.filter((x) => !x.overlay.includes('fixtures'))) {
      const unlabelled = r.objects.filter((o) => o.metadata.labels?.['app.kubernetes.io/part-of'] !== 'shopmesh');
      assert.deepEqual(unlabelled.map((o) => `${o.kind}/${o.metadata.name}`), [], r.overlay);
    }
  });

  it('reports a kustomization that fails to render as an error, not a crash', () => {
    const r = shipped.find((x) => x.overlay.endsWith('render-missing-resource'))!;
    assert.equal(r.errors.length, 1);
    assert.equal(r.errors[0]!.rule, 'render');
    assert.match(formatFinding(r.errors[0]!), /render-missing-resource: kustomize failed: .*does-not-exist\.yaml/);
  });

  it('prints the footprint table with one row per overlay', () => {
    const table = formatFootprintTable(shipped.map((r) => r.footprint));
    const lines = table.trimEnd().split('\n');
    assert.equal(lines.length, shipped.length + 2);
    assert.match(lines[0]!, /^overlay\s+pods\s+cpu req\s+cpu lim\s+mem req\s+mem lim$/);
    const lb = shipped.find((r) => r.overlay === 'overlays/lb')!.footprint;
    const baseline = shipped.find((r) => r.overlay === 'overlays/baseline')!.footprint;
    assert.equal(lb.pods, baseline.pods + 2, 'lb runs products-v1 at 3 replicas');
    assert.ok(lines.some((l) => l.startsWith('overlays/lb ') && l.includes(`${lb.cpuRequestMilli}m`)));
  });
});

describe('footprint and host helpers', () => {
  it('parses Kubernetes quantities', () => {
    assert.equal(parseQuantity('250m'), 0.25);
    assert.equal(parseQuantity('2'), 2);
    assert.equal(parseQuantity('64Mi'), 64 * 2 ** 20);
    assert.equal(parseQuantity('1G'), 1e9);
    assert.ok(Number.isNaN(parseQuantity('lots')));
  });

  it('sums requests and limits over replicas', () => {
    const objects = load('base-shop.yaml');
    const dep = objects.find((o) => o.metadata.name === 'products-v1')!;
    (dep.spec as { replicas: number }).replicas = 3;
    const f = footprint('x', new ObjectIndex(objects));
    assert.deepEqual(f, { overlay: 'x', pods: 4, cpuRequestMilli: 100, cpuLimitMilli: 1000, memoryRequestBytes: 256 * 2 ** 20, memoryLimitBytes: 640 * 2 ** 20 });
  });

  it('resolves mesh host names relative to a namespace', () => {
    assert.deepEqual(resolveHost('products', 'shop'), { name: 'products', namespace: 'shop' });
    assert.deepEqual(resolveHost('users.shop.svc.cluster.local', 'x'), { name: 'users', namespace: 'shop' });
    assert.equal(resolveHost('example.com.evil.org', 'shop'), null);
  });
});
