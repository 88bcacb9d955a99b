import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { listServices } from './services.ts';

test('a folder with src/main.ts is a service; others are not', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'services-'));
  for (const [name, main] of [['products', true], ['shared', false], ['zeta', true], ['alpha', true]] as const) {
    mkdirSync(path.join(root, name, 'src'), { recursive: true });
    if (main) writeFileSync(path.join(root, name, 'src', 'main.ts'), '');
  }
  const found = listServices(root);
  assert.deepEqual(found.map((s) => s.name), ['alpha', 'products', 'zeta']);
  assert.equal(found.find((s) => s.name === 'products')?.devPort, 5002);
  // Services without a fixed port get distinct ports from the free range, in name order.
  const alpha = found.find((s) => s.name === 'alpha')!;
  const zeta = found.find((s) => s.name === 'zeta')!;
  assert.ok(alpha.devPort >= 5010 && zeta.devPort === alpha.devPort + 1);
  assert.equal(alpha.devAdminPort, alpha.devPort + 100);
});
