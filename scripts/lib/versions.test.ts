import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadVersions, version } from './versions.ts';

test('the repo pins node, and every pin is a non-empty scalar', () => {
  const versions = loadVersions();
  assert.match(version('node', versions), /^\d+\.\d+\.\d+$/);
  const walk = (node: unknown, key: string): void => {
    if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) walk(v, key ? `${key}.${k}` : k);
    else assert.ok(String(version(key, versions)).length > 0, key);
  };
  walk(versions, '');
});

test('.nvmrc agrees with the pinned node major', async () => {
  const { readFileSync } = await import('node:fs');
  const nvmrc = readFileSync(new URL('../../.nvmrc', import.meta.url), 'utf8').trim();
  assert.equal(version('node').split('.')[0], nvmrc);
});

test('a missing key is an error naming the key', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'versions-'));
  const file = path.join(dir, 'versions.yaml');
  writeFileSync(file, 'tools:\n  kind: v1\n');
  const v = loadVersions(file);
  assert.equal(version('tools.kind', v), 'v1');
  assert.throws(() => version('tools.k3d', v), /versions.yaml has no "tools.k3d"/);
  assert.throws(() => version('tools', v), /is not a scalar/);
  assert.ok(Object.isFrozen(v));
});
