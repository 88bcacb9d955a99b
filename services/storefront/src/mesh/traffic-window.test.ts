import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import vm from 'node:vm';
import { build } from 'esbuild';
import { TrafficWindow, trafficWindowScript, type TrafficSample } from './traffic-window.ts';

const sample = (version: string, pod: string, status = 200, ms = 5): TrafficSample => ({ version, pod, status, ms });

describe('TrafficWindow', () => {
  it('keeps only the last N samples, oldest dropped first', () => {
    const w = new TrafficWindow(3);
    for (let i = 1; i <= 5; i++) w.push(sample('v1', `pod-${i}`, 200, i));
    assert.deepEqual(w.samples().map((s) => s.pod), ['pod-3', 'pod-4', 'pod-5']);
    assert.equal(w.summary().total, 3);
  });

  it('gives the share of each version, most frequent first', () => {
    const w = new TrafficWindow(100);
    for (let i = 0; i < 90; i++) w.push(sample('v1', 'products-v1-a'));
    for (let i = 0; i < 10; i++) w.push(sample('v2', 'products-v2-a'));
    const { byVersion, byPod } = w.summary();
    assert.deepEqual(byVersion, [
      { key: 'v1', count: 90, share: 0.9 },
      { key: 'v2', count: 10, share: 0.1 },
    ]);
    assert.deepEqual(byPod.map((s) => s.key), ['products-v1-a', 'products-v2-a']);
  });

  it('orders equal counts by name and files calls without an answer under one key', () => {
    const w = new TrafficWindow(10);
    w.push(sample('v2', 'b'));
    w.push(sample('v1', 'a'));
    w.push(sample('', '', 0));
    const { byVersion } = w.summary();
    assert.deepEqual(byVersion.map((s) => s.key), [TrafficWindow.NO_ANSWER, 'v1', 'v2']);
  });

  it('counts non-2xx/3xx and failed calls as errors', () => {
    const w = new TrafficWindow(10);
    for (const status of [200, 204, 302, 404, 503, 0]) w.push(sample('v1', 'p', status));
    const { errors, errorRate } = w.summary();
    assert.equal(errors, 3);
    assert.equal(errorRate, 0.5);
  });

  it('computes nearest-rank p50 and p95 of latency', () => {
    const w = new TrafficWindow(100);
    // 1..100 pushed in a shuffled order: p50 is 50, p95 is 95.
    for (let i = 0; i < 100; i++) w.push(sample('v1', 'p', 200, ((i * 37) % 100) + 1));
    const { p50, p95 } = w.summary();
    assert.equal(p50, 50);
    assert.equal(p95, 95);
  });

  it('has no percentiles and a zero error rate while empty', () => {
    const s = new TrafficWindow().summary();
    assert.deepEqual(s, { total: 0, byVersion: [], byPod: [], errors: 0, errorRate: 0, p50: null, p95: null });
  });

  it('percentile picks the single value of a one-element list for any p', () => {
    assert.equal(TrafficWindow.percentile([7], 1), 7);
    assert.equal(TrafficWindow.percentile([7], 99), 7);
    assert.equal(TrafficWindow.percentile([1, 2], 50), 1);
    assert.equal(TrafficWindow.percentile([1, 2], 51), 2);
  });

  it('rejects a window size that is not a positive integer', () => {
    assert.throws(() => new TrafficWindow(0), RangeError);
    assert.throws(() => new TrafficWindow(2.5), RangeError);
  });
});

/** Runs a served script in a fresh context and returns the summary its TrafficWindow computes. */
function summaryFromScript(script: string, samples: TrafficSample[]): unknown {
  const context = vm.createContext({ samples });
  return vm.runInContext(
    `${script}\nconst w = new TrafficWindow(4); for (const s of samples) w.push(s); JSON.stringify(w.summary());`,
    context,
  );
}

describe('trafficWindowScript', () => {
  const samples = [sample('v1', 'a', 200, 3), sample('v2', 'b', 503, 9), sample('v1', 'a', 200, 1), sample('v1', 'c', 200, 4), sample('v2', 'b', 200, 2)];
  const expected = (() => {
    const w = new TrafficWindow(4);
    for (const s of samples) w.push(s);
    return w.summary();
  })();

  it('defines a standalone TrafficWindow that computes the same summary as the module', () => {
    assert.deepEqual(JSON.parse(summaryFromScript(trafficWindowScript(), samples) as string), expected);
  });

  it('still works from the esbuild bundle the image runs', { timeout: 60_000 }, async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'storefront-bundle-'));
    try {
      const outfile = path.join(dir, 'entry.mjs');
      await build({
        stdin: {
          contents: `export { trafficWindowScript } from ${JSON.stringify(path.resolve(import.meta.dirname, 'traffic-window.ts'))};`,
          resolveDir: import.meta.dirname,
          loader: 'ts',
        },
        outfile,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node22',
        minifySyntax: true,
        logLevel: 'silent',
      });
      const bundled = (await import(pathToFileURL(outfile).href)) as { trafficWindowScript: () => string };
      assert.deepEqual(JSON.parse(summaryFromScript(bundled.trafficWindowScript(), samples) as string), expected);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
