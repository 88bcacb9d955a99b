// `npm run check`: renders kustomizations with the real kustomize, then runs the real tools over
// them in layers: `istioctl analyze` (offline, inside the mesh `up` installs), a server-side dry-run
// against a real API server with the real CRDs, the pods as they will run (injected with
// `istioctl kube-inject`) judged by Pod Security, and shopmesh's own rules where no tool has one.
import { existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Provider } from '../kube/context.ts';
import { startLocalApiServer, type LocalApiServer } from '../kube/local-apiserver.ts';
import { RenderError, renderKustomization, type KubeObject } from '../kube/render.ts';
import { Runner } from '../plan.ts';
import { PROVIDERS } from '../providers/index.ts';
import { crdFiles, provisionCrds } from '../tools/crds.ts';
import { findGo } from '../tools/gobuild.ts';
import { ensureTool } from '../tools/index.ts';
import { repoRoot } from '../versions.ts';
import { analyze, loadAllowList, reportMessages, type AllowEntry, type AnalyzerMessage } from './analyze.ts';
import { DryRunner, dryRunOverlay } from './dryrun.ts';
import { FindingSink, formatFinding, LAYERS, type Finding, type Layer } from './finding.ts';
import { footprint, laptopBudget, overBudget, type Footprint, type LaptopBudget } from './footprint.ts';
import { runningPods, type RunningPod } from './inject.ts';
import { LayerUnavailable, renderMeshContext, type MeshContext } from './mesh.ts';
import { checkMeshCallers } from './mesh-callers.ts';
import { ObjectIndex } from './objects.ts';
import { checkWorkloads } from './workloads.ts';

export { formatFinding, LAYERS, type Finding, type Layer } from './finding.ts';
export { formatFootprintTable, formatLaptopBudget, type Footprint, type LaptopBudget } from './footprint.ts';

export interface CheckResult {
  /** The kustomization folder, when the objects were rendered from one. */
  dir?: string;
  /** How the overlay is named in messages: its path relative to the repository (or as given). */
  overlay: string;
  objects: KubeObject[];
  /** Its pods as they will run (injected where the webhook would inject them); empty when that layer could not run. */
  pods: RunningPod[];
  errors: Finding[];
  warnings: Finding[];
  footprint: Footprint;
}

export interface LayerRun {
  layer: Layer;
  /** Wall-clock milliseconds the layer took (layers overlap: the API server starts while istioctl analyzes). */
  ms: number;
  /** Why the layer could not run; absent when it ran. */
  unavailable?: string;
}

export interface CheckReport {
  results: CheckResult[];
  layers: LayerRun[];
  /** Per provider, when the baseline overlay was among those checked. */
  budgets: LaptopBudget[];
  /** Allow-list entries that excused nothing (reported only when asked: a user's own folders use few). */
  unusedAllows: AllowEntry[];
  /** Milliseconds of the API server start-up (included in `server dry-run`). */
  apiServerStartMs?: number;
}

export interface CheckOptions {
  /** An API server already started (tests share one); default: start one for this check and stop it. */
  apiServer?: Pick<LocalApiServer, 'request'>;
  /** istiod chart values; default: exactly what `up` installs. */
  istiodValues?: Record<string, unknown>;
  allow?: AllowEntry[];
  /** Progress lines (tool provisioning, server start-up). */
  log?: (line: string) => void;
}

/** The root kustomization, then every overlay folder (components are checked through the overlays using them). */
export function shippedKustomizations(root = repoRoot): string[] {
  const overlays = path.join(root, 'overlays');
  const dirs = existsSync(overlays)
    ? readdirSync(overlays, { withFileTypes: true })
        .filter((d) => d.isDirectory() && d.name !== 'components' && existsSync(path.join(overlays, d.name, 'kustomization.yaml')))
        .map((d) => path.join(overlays, d.name))
        .sort()
    : [];
  return [root, ...dirs];
}

export function overlayLabel(dir: string, root = repoRoot): string {
  const rel = path.relative(root, path.resolve(dir));
  if (rel === '') return '.';
  return rel.startsWith('..') ? dir : rel.split(path.sep).join('/');
}

/**
 * Checks one kustomization folder: what the scenario runner calls before applying an overlay. A layer
 * that could not run is an error here too: nothing is applied on half a check.
 */
export async function checkKustomization(dir: string): Promise<{ objects: KubeObject[]; errors: Finding[]; warnings: Finding[] }> {
  const report = await checkKustomizations([dir]);
  const r = report.results[0]!;
  const missing = report.layers.filter((l) => l.unavailable).map((l): Finding => ({ severity: 'error', layer: l.layer, rule: 'layer', overlay: r.overlay, object: '', path: '', message: `the ${l.layer} layer could not run: ${l.unavailable}` }));
  return { objects: r.objects, errors: [...missing, ...r.errors], warnings: r.warnings };
}

/** Renders several folders (in parallel) and checks them together. */
export async function checkKustomizations(dirs: string[], opts: CheckOptions = {}): Promise<CheckReport> {
  return check(
    dirs.map((dir) => ({ overlay: overlayLabel(dir), dir })),
    opts,
  );
}

/** Checks already-rendered objects (the fixtures), through the same layers. */
export async function checkRendered(batches: { overlay: string; objects: KubeObject[] }[], opts: CheckOptions = {}): Promise<CheckReport> {
  return check(batches, opts);
}

type Batch = { overlay: string; dir?: string; objects?: KubeObject[] };

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function reason(err: unknown): string {
  if (err instanceof LayerUnavailable) return err.message;
  const e = err as Error & { fix?: string };
  return [e.message, e.fix].filter(Boolean).join(' (fix: ') + (e.fix ? ')' : '');
}

async function check(batches: Batch[], opts: CheckOptions): Promise<CheckReport> {
  const log = opts.log ?? (() => {});
  const runner = new Runner({ out: { write: (t) => log(t.trimEnd()) }, interactive: false });
  const parallel = Math.max(2, os.availableParallelism());
  const ms = new Map<Layer, number>();
  const unavailable = new Map<Layer, string>();
  const timed = async <T>(layer: Layer, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      ms.set(layer, (ms.get(layer) ?? 0) + performance.now() - t0);
    }
  };
  const sinks = batches.map((b) => new FindingSink(b.overlay, 'render'));

  // The tools: istioctl also generates the Istio CRDs; the API server starts beside the analysis.
  const istioctlP = ensureTool(runner, 'istioctl');
  istioctlP.catch(() => {});
  let server: LocalApiServer | undefined;
  let apiServerStartMs: number | undefined;
  const serverP: Promise<Pick<LocalApiServer, 'request'>> = opts.apiServer
    ? Promise.resolve(opts.apiServer)
    : (async () => {
        const t0 = performance.now();
        const istioctl = await istioctlP;
        const go = await findGo(runner);
        const files = await (async () => {
          try {
            return crdFiles();
          } catch (err) {
            if (!go) throw err;
            await provisionCrds(runner, { go, istioctl });
            return crdFiles();
          }
        })();
        await Promise.all([ensureTool(runner, 'kube-apiserver'), ensureTool(runner, 'etcd')]);
        server = await startLocalApiServer({ crdFiles: files, log });
        apiServerStartMs = performance.now() - t0;
        return server;
      })();
  serverP.catch(() => {});

  try {
    // Layer 1: render.
    const objects = await timed('render', async () => {
      const kubectl = batches.some((b) => b.dir) ? await ensureTool(runner, 'kubectl').catch((err) => (unavailable.set('render', reason(err)), undefined)) : undefined;
      return mapLimit(batches, parallel, async (b, i) => {
        if (b.objects) return b.objects;
        if (!kubectl) return [];
        try {
          return await renderKustomization(b.dir!, kubectl);
        } catch (err) {
          if (!(err instanceof RenderError)) throw err;
          sinks[i]!.error('render', null, '', err.message.replace(`${b.dir}: `, ''));
          return [] as KubeObject[];
        }
      });
    });

    // The mesh context and the pods as they will run (shared by analysis, dry-run and footprint).
    let mesh: MeshContext | undefined;
    let pods: RunningPod[][] | undefined;
    let gatewayPods: Record<Provider, RunningPod[]> | undefined;
    let istioctl: string | undefined;
    await timed('injected pods', async () => {
      try {
        istioctl = await istioctlP;
        const [helm, charts] = await Promise.all([ensureTool(runner, 'helm'), ensureTool(runner, 'shopmesh-charts')]);
        mesh = await renderMeshContext({ helm, charts }, opts.istiodValues);
        const gatewayBatches = PROVIDERS.map((p) => mesh!.gateways[p]);
        const all = await runningPods(istioctl, mesh, [...objects, ...gatewayBatches]);
        pods = all.slice(0, objects.length);
        gatewayPods = Object.fromEntries(PROVIDERS.map((p, i) => [p, all[objects.length + i]!])) as Record<Provider, RunningPod[]>;
      } catch (err) {
        unavailable.set('injected pods', reason(err));
        unavailable.set('istioctl analyze', `it analyzes the pods as they will run, which could not be made: ${reason(err)}`);
      }
    });

    // Layer 2: istioctl analyze, once per distinct gateway render (k3d's LoadBalancer, the others' NodePort).
    const allow = opts.allow ?? loadAllowList();
    const usedAllows = new Set<AllowEntry>();
    if (mesh && pods && gatewayPods && istioctl) {
      const contexts = new Map<string, { providers: Provider[]; objects: KubeObject[] }>();
      for (const p of PROVIDERS) {
        const ctx = [...mesh.gateways[p], ...gatewayPods[p].map((x) => x.pod)];
        const key = JSON.stringify(ctx);
        const entry = contexts.get(key) ?? { providers: [], objects: ctx };
        entry.providers.push(p);
        contexts.set(key, entry);
      }
      const variants = [...contexts.values()];
      await timed('istioctl analyze', async () => {
        try {
          const runs = await mapLimit(
            objects.flatMap((objs, i) => variants.map((v) => ({ i, v, objs }))),
            parallel,
            async ({ i, v, objs }) => ({ i, v, messages: objs.length ? await analyze(istioctl!, mesh!, [...objs, ...pods![i]!.filter((p) => p.pod !== p.from).map((p) => p.pod), ...v.objects]) : [] }),
          );
          objects.forEach((_, i) => {
            const seen = new Map<string, { m: AnalyzerMessage; providers: Provider[] }>();
            for (const run of runs.filter((r) => r.i === i)) {
              for (const m of run.messages) {
                const key = `${m.code}\n${m.origin}\n${m.message}`;
                const e = seen.get(key) ?? { m, providers: [] };
                e.providers.push(...run.v.providers);
                seen.set(key, e);
              }
            }
            const partial = [...seen.values()].map(({ m, providers }) => (providers.length === PROVIDERS.length ? m : { ...m, message: `${m.message} (with the ${providers.join(', ')} gateway)` }));
            reportMessages(partial, sinks[i]!.forLayer('istioctl analyze'), allow, usedAllows);
          });
        } catch (err) {
          unavailable.set('istioctl analyze', reason(err));
        }
      });
    }

    // Layers 3 and 4: the server's verdict on every object, and on the pods as they will run.
    await timed('server dry-run', async () => {
      let api: Pick<LocalApiServer, 'request'>;
      try {
        api = await serverP;
      } catch (err) {
        unavailable.set('server dry-run', reason(err));
        if (!unavailable.has('injected pods')) unavailable.set('injected pods', `it needs the API server: ${reason(err)}`);
        return;
      }
      const dry = new DryRunner(api);
      await Promise.all(objects.map((objs, i) => (objs.length ? dryRunOverlay(dry, objs, pods?.[i] ?? null, sinks[i]!.forLayer('server dry-run'), sinks[i]!.forLayer('injected pods')) : undefined)));
    });

    // Layer 5: shopmesh's own rules, where neither tool has one.
    const results = await timed('shopmesh rules', async () =>
      batches.map((b, i): CheckResult => {
        const sink = sinks[i]!.forLayer('shopmesh rules');
        const index = new ObjectIndex(objects[i]!);
        checkWorkloads(index, sink);
        checkMeshCallers(index, sink);
        const findings = sink.findings;
        return {
          ...(b.dir ? { dir: b.dir } : {}),
          overlay: b.overlay,
          objects: objects[i]!,
          pods: pods?.[i] ?? [],
          errors: findings.filter((f) => f.severity === 'error'),
          warnings: findings.filter((f) => f.severity === 'warning'),
          footprint: footprint(b.overlay, pods?.[i] ?? []),
        };
      }),
    );

    const budgets: LaptopBudget[] = [];
    const baseline = results.find((r) => r.overlay === 'overlays/baseline');
    if (baseline && mesh && gatewayPods && pods) {
      for (const p of PROVIDERS) {
        const b = laptopBudget(p, baseline.footprint, mesh.istiod, gatewayPods[p], mesh.addons);
        budgets.push(b);
        for (const over of overBudget(b)) baseline.errors.push({ severity: 'error', layer: 'shopmesh rules', rule: 'footprint/laptop', overlay: baseline.overlay, object: '', path: '', message: `the baseline sandbox on ${p}: ${over} (an 8 GB laptop)` });
      }
    }
    mesh?.dispose();

    const layers = LAYERS.map((layer): LayerRun => ({ layer, ms: Math.round(ms.get(layer) ?? 0), ...(unavailable.has(layer) ? { unavailable: unavailable.get(layer)! } : {}) }));
    return { results, layers, budgets, unusedAllows: allow.filter((a) => !usedAllows.has(a)), ...(apiServerStartMs !== undefined ? { apiServerStartMs: Math.round(apiServerStartMs) } : {}) };
  } finally {
    if (server) await server.stop();
    else if (!opts.apiServer) await serverP.then((s) => (s as LocalApiServer).stop?.(), () => {});
  }
}

export function formatFindings(findings: Finding[]): string {
  return findings.map((f) => `${f.severity}: ${formatFinding(f)}\n`).join('');
}

/** `render 1.2 s · istioctl analyze 8.0 s · …`, and the layers that could not run. */
export function formatLayers(report: CheckReport): string {
  const s = (msValue: number) => `${(msValue / 1000).toFixed(1)} s`;
  const lines = report.layers.map((l) => `  ${l.layer.padEnd(17)} ${l.unavailable ? 'COULD NOT RUN' : s(l.ms)}${l.layer === 'server dry-run' && report.apiServerStartMs !== undefined ? ` (API server start-up ${s(report.apiServerStartMs)})` : ''}${l.unavailable ? `: ${l.unavailable}` : ''}`);
  return `Layers:\n${lines.join('\n')}\n`;
}
