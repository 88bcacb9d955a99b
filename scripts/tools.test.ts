import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_TOOLS, tools } from './tools.ts';
import { GO_TOOLS } from './lib/tools/gobuild.ts';
import { pinnedVersion, TOOLS } from './lib/tools/index.ts';

function capture() {
  let text = '';
  return { out: { write: (t: string) => void (text += t) }, text: () => text };
}

test('tools --help lists every tool and where each can come from', async () => {
  const c = capture();
  assert.equal(await tools(['--help'], { out: c.out }), 0);
  for (const word of ['kube-apiserver', 'pilot-discovery', 'tilt', 'downloaded', 'built', 'cache']) assert.match(c.text(), new RegExp(word));
});

test('an unknown tool is refused before anything runs', async () => {
  await assert.rejects(tools(['--only', 'kubectl,kubeclt'], { out: capture().out }), /unknown tool "kubeclt"; the tools are kubectl, helm/);
});

test('a dry run plans the k6 download and changes nothing', async () => {
  const c = capture();
  assert.equal(await tools(['--only', 'k6', '--dry-run'], { out: c.out }), 0);
  assert.match(c.text(), /api: download https:\/\/github\.com\/grafana\/k6\/releases\/download\/v2\.3\.0\/k6-v2\.3\.0-\S+ to \.bin\/k6, verified against sha256 [0-9a-f]{64}/);
  assert.match(c.text(), /Would provide 1 tool\(s\)/);
});

test('a provisioned tool is found in .bin at its pinned version, and the re-run does nothing', async () => {
  const c = capture();
  assert.equal(await tools(['--only', 'etcd'], { out: c.out }), 0);
  assert.match(c.text(), new RegExp(`etcd +${pinnedVersion('etcd')} +already in \\.bin \\(\\.bin/etcd`));
});

test('every Go-built tool is a known tool and is provided by default; k6 is the only one left to the scenario runner', () => {
  for (const t of GO_TOOLS) {
    assert.ok((TOOLS as readonly string[]).includes(t.name), `${t.name} is in TOOLS`);
    assert.ok(DEFAULT_TOOLS.includes(t.name as never), `${t.name} is provided by npm run tools`);
  }
  assert.deepEqual(TOOLS.filter((t) => !DEFAULT_TOOLS.includes(t)), ['k6']);
});
