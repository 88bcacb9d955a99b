import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Runner } from '../plan.ts';
import { version } from '../versions.ts';
import { buildGoTool, buildKey, findGo, GO_TOOLS, TOOLS_DIR, type GoTool } from './gobuild.ts';

const quiet = { write() {} };

/** The version go.mod requires of a module (its require or tool line), without the leading v. */
function requiredVersion(goMod: string, module: string): string | undefined {
  const escaped = module.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return new RegExp(`^\\s*(?:require\\s+)?${escaped}\\s+v?(\\S+)`, 'm').exec(goMod)?.[1];
}

test('every Go tool module pins its upstream at the version versions.yaml names', () => {
  for (const tool of GO_TOOLS) {
    const goMod = readFileSync(path.join(TOOLS_DIR, tool.module, 'go.mod'), 'utf8');
    const own = goMod.match(/^module (\S+)$/m)?.[1];
    if (own && tool.pkg.startsWith(`${own}/`)) {
      // The project's own program in that module: it links the pinned upstream as a dependency.
      assert.ok(existsSync(path.join(TOOLS_DIR, tool.module, tool.pkg.slice(own.length + 1))), `${tool.pkg} exists`);
    } else {
      assert.match(goMod, new RegExp(`^tool (\\(\\n(\\s+\\S+\\n)*?\\s+)?${tool.pkg.replace(/[./]/g, '\\$&')}\\s*$`, 'm'), `${tool.module}/go.mod has a tool directive for ${tool.pkg}`);
    }
    assert.equal(requiredVersion(goMod, tool.upstream), version(tool.versionKey).replace(/^v/, ''), `${tool.module}/go.mod requires ${tool.upstream} at ${tool.versionKey}`);
    assert.ok(existsSync(path.join(TOOLS_DIR, tool.module, 'go.sum')), `${tool.module}/go.sum is committed`);
  }
  // kube-apiserver's staging modules follow the Kubernetes release (v1.35.8 -> v0.35.8).
  const kube = readFileSync(path.join(TOOLS_DIR, 'kubernetes', 'go.mod'), 'utf8');
  const staging = version('tools.kube-apiserver').replace(/^v1\./, 'v0.');
  const replaced = [...kube.matchAll(/^\s+(k8s\.io\/\S+) => \1 (\S+)$/gm)];
  assert.ok(replaced.length >= 25, 'the staging modules are replaced');
  for (const [, mod, v] of replaced) assert.equal(v, staging, mod);
});

test('a Go tool is built from its module once, stamped with the pinned version, then copied from the cache', async (t) => {
  const go = await findGo(new Runner({ out: quiet }));
  assert.ok(go, 'Go >= 1.26 is on PATH (the README names it for contributors)');
  const tools = mkdtempSync(path.join(os.tmpdir(), 'go-tools-'));
  mkdirSync(path.join(tools, 'hello'));
  writeFileSync(path.join(tools, 'hello', 'go.mod'), 'module example.com/hello\n\ngo 1.26.0\n');
  writeFileSync(path.join(tools, 'hello', 'go.sum'), '');
  writeFileSync(path.join(tools, 'hello', 'main.go'), 'package main\n\nimport "fmt"\n\nvar version = "unset"\n\nfunc main() { fmt.Println("hello", version) }\n');
  const tool: GoTool = { name: 'hello', module: 'hello', pkg: 'example.com/hello', upstream: 'example.com/hello', versionKey: 'tools.kind', ldflags: (v) => [`-X main.version=${v}`], versionArgs: [] };
  const saved = process.env.SHOPMESH_TOOLS_CACHE;
  const cache = mkdtempSync(path.join(os.tmpdir(), 'tools-cache-'));
  process.env.SHOPMESH_TOOLS_CACHE = cache;
  t.after(() => (saved === undefined ? delete process.env.SHOPMESH_TOOLS_CACHE : (process.env.SHOPMESH_TOOLS_CACHE = saved)));

  const bin = mkdtempSync(path.join(os.tmpdir(), 'bin-'));
  assert.equal(await buildGoTool(new Runner({ out: quiet }), tool, go, bin, tools), 'built');
  assert.equal(execFileSync(path.join(bin, 'hello')).toString().trim(), `hello ${version('tools.kind')}`);
  const key = buildKey(tool, go, tools);
  assert.deepEqual(readdirSync(cache), [`hello-${key}`]);

  // A second clone (another bin folder) gets the cached build; nothing is compiled.
  const bin2 = mkdtempSync(path.join(os.tmpdir(), 'bin-'));
  const runner = new Runner({ out: quiet });
  assert.equal(await buildGoTool(runner, tool, go, bin2, tools), 'cache');
  assert.ok(!runner.plan.some((l) => l.startsWith('$ go build')));
  assert.equal(execFileSync(path.join(bin2, 'hello')).toString().trim(), `hello ${version('tools.kind')}`);

  // Any change to what decides the bytes gives a new key: the program's own source, go.sum, the platform.
  writeFileSync(path.join(tools, 'hello', 'main.go'), 'package main\n\nimport "fmt"\n\nvar version = "unset"\n\nfunc main() { fmt.Println("hello again", version) }\n');
  const edited = buildKey(tool, go, tools);
  assert.notEqual(edited, key);
  assert.equal(await buildGoTool(new Runner({ out: quiet }), tool, go, bin2, tools), 'built');
  assert.equal(execFileSync(path.join(bin2, 'hello')).toString().trim(), `hello again ${version('tools.kind')}`);
  writeFileSync(path.join(tools, 'hello', 'go.sum'), 'example.com/x v1.0.0 h1:AAAA=\n');
  assert.notEqual(buildKey(tool, go, tools), edited);
  assert.notEqual(buildKey(tool, { ...go, goarch: 'arm64' }, tools), buildKey(tool, go, tools));
  // An upstream command of a module (its package outside the module) ignores the module's own sources.
  const upstream: GoTool = { ...tool, name: 'fmt-like', pkg: 'example.com/other/cmd/x' };
  const before = buildKey(upstream, go, tools);
  writeFileSync(path.join(tools, 'hello', 'main.go'), 'package main\n\nfunc main() {}\n');
  assert.equal(buildKey(upstream, go, tools), before);
});

test('a failing build says how to see the whole output, and leaves nothing half-written', async () => {
  const go = await findGo(new Runner({ out: quiet }));
  assert.ok(go);
  const tools = mkdtempSync(path.join(os.tmpdir(), 'go-tools-'));
  mkdirSync(path.join(tools, 'broken'));
  writeFileSync(path.join(tools, 'broken', 'go.mod'), 'module example.com/broken\n\ngo 1.26.0\n');
  writeFileSync(path.join(tools, 'broken', 'go.sum'), '');
  writeFileSync(path.join(tools, 'broken', 'main.go'), 'package main\n\nfunc main() { undefinedCall() }\n');
  const tool: GoTool = { name: 'broken', module: 'broken', pkg: 'example.com/broken', upstream: 'example.com/broken', versionKey: 'tools.kind', ldflags: () => [], versionArgs: [] };
  const saved = process.env.SHOPMESH_TOOLS_CACHE;
  const cache = mkdtempSync(path.join(os.tmpdir(), 'tools-cache-'));
  process.env.SHOPMESH_TOOLS_CACHE = cache;
  try {
    const bin = mkdtempSync(path.join(os.tmpdir(), 'bin-'));
    await assert.rejects(buildGoTool(new Runner({ out: quiet }), tool, go, bin, tools), (err: Error & { hint?: string }) => {
      assert.match(err.message, /building broken from example\.com\/broken failed/);
      assert.match(err.message, /undefined: undefinedCall/);
      assert.match(err.hint ?? '', /cd tools\/broken && go build/);
      return true;
    });
    assert.deepEqual(readdirSync(bin), []);
    assert.deepEqual(readdirSync(cache), []);
  } finally {
    if (saved === undefined) delete process.env.SHOPMESH_TOOLS_CACHE;
    else process.env.SHOPMESH_TOOLS_CACHE = saved;
  }
});
