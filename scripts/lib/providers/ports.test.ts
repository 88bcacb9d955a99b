import { test } from 'node:test';
import assert from 'node:assert/strict';
import YAML from 'yaml';
import { k3dClusterConfig, k3dProvider } from './k3d.ts';
import { kindClusterConfig, kindProvider } from './kind.ts';
import { applyPortOptions, DEFAULT_PORTS, portsConfigMap, portsFromConfigMap, sandboxPorts } from './ports.ts';

function withEnv(t: import('node:test').TestContext, env: Record<string, string | undefined>): void {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(env)) (v === undefined ? delete process.env[k] : (process.env[k] = v));
  t.after(() => {
    for (const [k, v] of Object.entries(saved)) (v === undefined ? delete process.env[k] : (process.env[k] = v));
  });
}

const none = { SHOPMESH_HTTP_PORT: undefined, SHOPMESH_HTTPS_PORT: undefined, SHOPMESH_REGISTRY_PORT: undefined };

test('the defaults are 8080, 8443 and 5050', (t) => {
  withEnv(t, none);
  assert.deepEqual(sandboxPorts(), { http: 8080, https: 8443, registry: 5050 });
  assert.deepEqual(DEFAULT_PORTS, sandboxPorts());
});

test('the environment moves each port, and a bad or clashing value is refused by name', (t) => {
  withEnv(t, none);
  assert.deepEqual(sandboxPorts({ SHOPMESH_HTTP_PORT: '9080', SHOPMESH_REGISTRY_PORT: '6050' }), { http: 9080, https: 8443, registry: 6050 });
  assert.throws(() => sandboxPorts({ SHOPMESH_HTTPS_PORT: '84a3' }), /SHOPMESH_HTTPS_PORT must be a port number from 1 to 65535, not "84a3"/);
  assert.throws(() => sandboxPorts({ SHOPMESH_HTTP_PORT: '70000' }), /SHOPMESH_HTTP_PORT must be a port number/);
  assert.throws(() => sandboxPorts({ SHOPMESH_HTTP_PORT: '8443' }), /the http and https ports are both 8443/);
});

test('flags of up win over the environment and reach every provider setting that binds a host port', (t) => {
  withEnv(t, { ...none, SHOPMESH_HTTP_PORT: '7080' });
  assert.throws(() => applyPortOptions({ 'registry-port': 'x' }), /--registry-port must be a port number/);
  const ports = applyPortOptions({ 'http-port': '9080', 'https-port': '9443', 'registry-port': '6050' });
  assert.deepEqual(ports, { http: 9080, https: 9443, registry: 6050 });
  const k3d = YAML.parse(YAML.stringify(k3dClusterConfig())) as { ports: Array<{ port: string }>; registries: { use: string[] } };
  assert.deepEqual(k3d.ports.map((p) => p.port), ['127.0.0.1:9080:80', '127.0.0.1:9443:443']);
  assert.deepEqual(k3d.registries.use, ['k3d-shopmesh-registry.localhost:6050']);
  const kind = kindClusterConfig() as { nodes: Array<{ extraPortMappings: Array<{ hostPort: number }> }> };
  assert.deepEqual(kind.nodes[0]!.extraPortMappings.map((m) => m.hostPort), [9080, 9443]);
  for (const provider of [k3dProvider, kindProvider]) {
    assert.equal(provider.httpPort, 9080);
    assert.deepEqual(provider.hostPorts, [9080, 9443, 6050]);
    assert.equal(provider.registry.push, 'localhost:6050');
  }
});

test('up records the ports in the cluster and status reads them back', () => {
  const cm = portsConfigMap({ http: 9080, https: 9443, registry: 6050 });
  assert.deepEqual(cm.metadata, { namespace: 'kube-public', name: 'shopmesh-sandbox', labels: { 'app.kubernetes.io/managed-by': 'shopmesh-up' } });
  assert.deepEqual(portsFromConfigMap(cm.data as Record<string, string>, DEFAULT_PORTS), { http: 9080, https: 9443, registry: 6050 });
  assert.deepEqual(portsFromConfigMap(undefined, DEFAULT_PORTS), DEFAULT_PORTS);
});
