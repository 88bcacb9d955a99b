import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { contextSources, isIgnored, parseDockerfile, parseDockerignore, stagesFor, type Stage } from './dockerfile.ts';
import { listServices } from '../services.ts';
import { repoRoot } from '../versions.ts';

const dockerfile = parseDockerfile(readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8'));
const stage = (name: string): Stage => {
  const s = dockerfile.stages.find((x) => x.name === name);
  assert.ok(s, `stage ${name} exists`);
  return s;
};
const instr = (s: Stage, keyword: string): string[] => s.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);

test('the Dockerfile has deps, dev, build and production stages, production last (the default target)', () => {
  assert.deepEqual(dockerfile.stages.map((s) => s.name), ['deps', 'dev', 'build', 'production']);
});

test('the base image comes only from the NODE_IMAGE build argument, with no default version', () => {
  assert.ok('NODE_IMAGE' in dockerfile.globalArgs);
  assert.equal(dockerfile.globalArgs.NODE_IMAGE, undefined);
  for (const s of dockerfile.stages) assert.ok(s.base === '${NODE_IMAGE}' || dockerfile.stages.some((o) => o.name === s.base), `${s.name} FROM ${s.base}`);
});

test('deps installs from the lockfile before SERVICE is declared, so one layer serves every service', () => {
  const deps = stage('deps');
  assert.ok(instr(deps, 'RUN').some((r) => /\bnpm ci\b/.test(r)));
  assert.deepEqual(deps.copies.flatMap((c) => c.sources), ['package.json', 'package-lock.json']);
  assert.deepEqual(deps.args, []);
});

test('dev runs the service under the tsx watcher, as uid 1000, with sources where live_update syncs them', () => {
  const dev = stage('dev');
  assert.match(instr(dev, 'ENTRYPOINT').join(' '), /tsx watch .*services\/\$\{SERVICE\}\/src\/main\.ts/);
  assert.deepEqual(instr(dev, 'USER'), ['1000:1000']);
  const dests = Object.fromEntries(dev.copies.map((c) => [c.sources.join(' '), c.dest]));
  assert.equal(dests['services/shared/'], 'services/shared/');
  assert.equal(dests['services/${SERVICE}/src/'], 'services/${SERVICE}/src/');
  // The sync targets in the Tiltfile are under /app: dev inherits that WORKDIR from deps.
  assert.deepEqual(instr(stage('deps'), 'WORKDIR'), ['/app']);
  assert.deepEqual(instr(dev, 'WORKDIR'), []);
});

test('production: compiled JS only, from the build stage, non-root, the cluster settings, no tsx', () => {
  const prod = stage('production');
  assert.equal(prod.base, '${NODE_IMAGE}', 'starts from the bare base image, not from deps');
  assert.ok(prod.copies.length > 0 && prod.copies.every((c) => c.from === 'build'), 'copies only from the build stage');
  assert.deepEqual(instr(prod, 'USER'), ['1000:1000']);
  const env = instr(prod, 'ENV').join(' ');
  for (const kv of ['NODE_ENV=production', 'HOST=0.0.0.0', 'PORT=8080', 'ADMIN_PORT=9090']) assert.ok(env.includes(kv), kv);
  const cmd = JSON.parse(instr(prod, 'CMD')[0]!) as string[];
  assert.equal(cmd[0], 'node');
  assert.ok(cmd.at(-1)!.endsWith('.mjs'));
  assert.ok(!prod.instructions.some((i) => /tsx|typescript|node_modules/.test(i.args) && i.keyword !== 'RUN'));
  assert.ok(stagesFor(dockerfile, 'production').every((s) => s.name !== 'dev'), 'production does not depend on dev');
});

test('the build stage bundles with scripts/lib/images/bundle.ts into the folder production copies', () => {
  const build = stage('build');
  assert.ok(instr(build, 'RUN').some((r) => r.includes('scripts/lib/images/bundle-entry.ts') && r.includes('/app/dist')));
  assert.deepEqual(stage('production').copies.map((c) => c.sources), [['/app/dist/']]);
});

test('every path the Dockerfile copies from the context exists, for every service', () => {
  const services = listServices().map((s) => s.name);
  const targets = ['dev', 'production'];
  // Paths that don't depend on the service are checked even before any service exists.
  const serviceFree = targets.flatMap((t) => contextSources(dockerfile, t, { SERVICE: '\0', NODE_IMAGE: 'x' })).filter((p) => !p.includes('\0'));
  assert.ok(serviceFree.includes('package-lock.json') && serviceFree.includes('services/shared'));
  for (const p of serviceFree) assert.ok(existsSync(path.join(repoRoot, p)), `${p} exists`);
  for (const service of services) {
    for (const t of targets) {
      for (const p of contextSources(dockerfile, t, { SERVICE: service, NODE_IMAGE: 'x' })) assert.ok(existsSync(path.join(repoRoot, p)), `${t} of ${service}: ${p} exists`);
    }
  }
});

test('contextSources follows FROM and COPY --from and fills in build arguments', () => {
  const file = parseDockerfile(
    ['ARG BASE', 'FROM ${BASE} AS a', 'COPY one.txt \\', '     two/ /x/', 'FROM a AS b', 'ARG NAME', 'COPY [ "svc/$NAME/src", "/y" ]', 'FROM scratch AS c', 'COPY --from=b /y /z', 'COPY three /w', 'FROM scratch AS unused', 'COPY four /v'].join('\n'),
  );
  assert.deepEqual(contextSources(file, 'c', { NAME: 'k', BASE: 'x' }), ['one.txt', 'svc/k/src', 'three', 'two']);
  assert.throws(() => contextSources(file, 'b', { BASE: 'x' }), /\$\{NAME\}/);
  assert.throws(() => stagesFor(file, 'nope'), /no stage "nope"/);
});

test('.dockerignore keeps dependencies, caches, reports and local state out', () => {
  const rules = parseDockerignore(readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8'));
  for (const p of ['node_modules/zx/index.js', 'services/x/node_modules/a', 'reports/k6.json', '.cache/node/bin', '.bin/kubectl', 'dist/main.mjs', '.git/HEAD', '.tilt-state', 'npm-debug.log', 'services/products/src/app.test.ts']) {
    assert.ok(isIgnored(p, rules), `${p} is ignored`);
  }
  for (const p of ['package.json', 'package-lock.json', 'services/products/src/main.ts', 'services/shared/src/config.ts', 'scripts/lib/images/bundle.ts', 'Dockerfile']) {
    assert.ok(!isIgnored(p, rules), `${p} is kept`);
  }
});

test('dockerignore patterns: single-segment *, **, directory prefixes and ! exceptions (last match wins)', () => {
  const rules = parseDockerignore('# comment\n*.md\ndocs/**\n!docs/keep.md\nbuild/\n/tmp?\n');
  assert.ok(isIgnored('README.md', rules));
  assert.ok(!isIgnored('a/README.md', rules), '* does not cross /');
  assert.ok(isIgnored('docs/x/y.txt', rules));
  assert.ok(!isIgnored('docs/keep.md', rules));
  assert.ok(isIgnored('build/out/x.js', rules));
  assert.ok(isIgnored('tmp1/x', rules) && !isIgnored('tmp12', rules));
});
