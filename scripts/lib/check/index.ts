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
import { crdEtcdSeed, crdFiles, provisionCrds } from '../tools/crds.ts';
import { findGo } from '../tools/gobuild.ts';
import { ensureTool } from '../tools/index.ts';
import { repoRoot } from '../versions.ts';
import { analyze, loadAllowList, reportMessages, type AllowEntry, type AnalyzerMessage } from './analyze.ts';
import { CertificateSecrets, churnOrder, clusterState, LiveCluster, onServer, type LiveMesh } from './live.ts';
import { DryRunner, dryRunOverlay } from './dryrun.ts';
import { FindingSink, formatFinding, LAYERS, type Finding, type Layer } from './finding.ts';
import { footprint, laptopBudget, overBudget, type Footprint, type LaptopBudget } from './footprint.ts';
import { podsFromTemplates, runningPods, type RunningPod } from './inject.ts';
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
  /** What the time includes, e.g. writing each overlay's cluster state for the live analysis. */
  detail?: string;
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
  /** An API server already started (tests share one; what the check writes it deletes again); default: start one for this check and stop it. */
  apiServer?: ApiServer;
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

type ApiServer = Pick<LocalApiServer, 'request' | 'kubeconfig'>;

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
  const certs = new CertificateSecrets();
  let live: LiveCluster | undefined;
  let analyses = 0;

  // The tools: istioctl also generates the Istio CRDs; the API server starts beside the analysis.
  const istioctlP = ensureTool(runner, 'istioctl');
  istioctlP.catch(() => {});
  let server: LocalApiServer | undefined;
  let apiServerStartMs: number | undefined;
  const serverP: Promise<ApiServer> = opts.apiServer
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
        server = await startLocalApiServer({ crdFiles: files, etcdSeed: crdEtcdSeed(), log });
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

    // Layers 2 to 4 on the one API server. Overlay after overlay, the server is made to hold what the
    // cluster would (live.ts, only the difference applied); then istioctl analyze runs live against it
    // (once per distinct gateway render: k3d's and the others' Services may differ) while the rest of
    // the overlay is dry-run beside it and its pods as they will run are judged by Pod Security.
    const allow = opts.allow ?? loadAllowList();
    const usedAllows = new Set<AllowEntry>();
    let api: ApiServer | undefined;
    await timed('server dry-run', async () => {
      try {
        api = await serverP;
      } catch (err) {
        unavailable.set('server dry-run', reason(err));
        if (!unavailable.has('injected pods')) unavailable.set('injected pods', `it needs the API server: ${reason(err)}`);
        if (!unavailable.has('istioctl analyze')) unavailable.set('istioctl analyze', `it analyzes live, against the API server: ${reason(err)}`);
      }
    });
    if (api) {
      const dry = new DryRunner(api);
      live = new LiveCluster(dry);
      const analyzing = Boolean(mesh && pods && gatewayPods && istioctl);
      const variants: { providers: Provider[]; mesh?: LiveMesh }[] = [];
      if (analyzing) {
        const istiodPods = podsFromTemplates(mesh!.istiod).map(({ from, pod }) => ({ from, pod, injected: false }));
        const byKey = new Map<string, { providers: Provider[]; mesh?: LiveMesh }>();
        for (const p of PROVIDERS) {
          const m: LiveMesh = { istiod: mesh!.istiod, istiodPods, gateway: mesh!.gateways[p], gatewayPods: gatewayPods![p] };
          const key = JSON.stringify([m.gateway, m.gatewayPods.map((x) => x.pod)]);
          const entry = byKey.get(key) ?? { providers: [], mesh: m };
          entry.providers.push(p);
          byKey.set(key, entry);
        }
        variants.push(...byKey.values());
      } else {
        variants.push({ providers: [...PROVIDERS] });
      }
      // The Secrets cert-manager would issue (openssl makes them); without them the analysis would be wrong, not just short.
      const issued = await timed('istioctl analyze', () =>
        Promise.all(
          objects.map((objs) =>
            certs.secrets(objs).catch((err) => {
              if (analyzing) unavailable.set('istioctl analyze', reason(err));
              return [] as KubeObject[];
            }),
          ),
        ),
      );
      const states = variants.map((v) => objects.map((objs, i) => clusterState(objs, pods?.[i] ?? [], v.mesh, issued[i]!)));
      const order = churnOrder(states[0]!).filter((i) => objects[i]!.length > 0);
      const runs: { i: number; providers: Provider[]; messages: AnalyzerMessage[] }[] = [];
      walk: for (const [vi, v] of variants.entries()) {
        const analyzed = new Map<string, AnalyzerMessage[]>();
        // The next gateway render walks the overlays backwards: the last state is the first again.
        for (const i of vi % 2 === 0 ? order : [...order].reverse()) {
          try {
            await timed('istioctl analyze', () => live!.sync(states[vi]![i]!));
          } catch (err) {
            // Every later overlay would be judged on a wrong state: the layers on the server stop here.
            const why = `the cluster state of ${batches[i]!.overlay} could not be written: ${reason(err)}`;
            for (const layer of ['istioctl analyze', 'server dry-run', 'injected pods'] as const) if (!unavailable.has(layer)) unavailable.set(layer, why);
            break walk;
          }
          // Two overlays that render the same (the root and baseline) are analyzed once.
          const same = JSON.stringify([states[vi]![i], objects[i]!.filter((o) => !onServer(o))]);
          const analysis =
            analyzing && !unavailable.has('istioctl analyze')
              ? timed('istioctl analyze', async () => {
                  try {
                    let messages = analyzed.get(same);
                    if (!messages) {
                      analyses++;
                      messages = await analyze(istioctl!, api!.kubeconfig, mesh!.meshConfigFile, objects[i]!);
                      analyzed.set(same, messages);
                    }
                    runs.push({ i, providers: v.providers, messages });
                  } catch (err) {
                    unavailable.set('istioctl analyze', reason(err));
                  }
                })
              : undefined;
          const dryRun = vi === 0 ? timed('server dry-run', () => dryRunOverlay(dry, live!, objects[i]!, pods?.[i] ?? null, sinks[i]!.forLayer('server dry-run'), sinks[i]!.forLayer('injected pods'))) : undefined;
          await Promise.all([analysis, dryRun]);
        }
      }
      if (analyzing && !unavailable.has('istioctl analyze')) {
        objects.forEach((_, i) => {
          const seen = new Map<string, { m: AnalyzerMessage; providers: Provider[] }>();
          for (const run of runs.filter((r) => r.i === i)) {
            for (const m of run.messages) {
              const key = `${m.code}\n${m.origin}\n${m.message}`;
              const e = seen.get(key) ?? { m, providers: [] };
              e.providers.push(...run.providers);
              seen.set(key, e);
            }
          }
          const partial = [...seen.values()].map(({ m, providers }) => (providers.length === PROVIDERS.length ? m : { ...m, message: `${m.message} (with the ${providers.join(', ')} gateway)` }));
          reportMessages(partial, sinks[i]!.forLayer('istioctl analyze'), allow, usedAllows);
        });
      }
    }

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
        const b = laptopBudget(p, baseline.footprint, mesh.istiod, gatewayPods[p], mesh.cni[p]);
        budgets.push(b);
        for (const over of overBudget(b)) baseline.errors.push({ severity: 'error', layer: 'shopmesh rules', rule: 'footprint/laptop', overlay: baseline.overlay, object: '', path: '', message: `the baseline sandbox on ${p}: ${over} (an 8 GB laptop)` });
      }
    }
    mesh?.dispose();

    const details = new Map<Layer, string>();
    if (live) details.set('istioctl analyze', `${analyses} live analyses; ${(live.stats.ms / 1000).toFixed(1)} s writing the cluster state: ${live.stats.applied} applies, ${live.stats.deleted} deletes`);
    const layers = LAYERS.map((layer): LayerRun => ({
      layer,
      ms: Math.round(ms.get(layer) ?? 0),
      ...(unavailable.has(layer) ? { unavailable: unavailable.get(layer)! } : {}),
      ...(details.has(layer) ? { detail: details.get(layer)! } : {}),
    }));
    return { results, layers, budgets, unusedAllows: allow.filter((a) => !usedAllows.has(a)), ...(apiServerStartMs !== undefined ? { apiServerStartMs: Math.round(apiServerStartMs) } : {}) };
  } finally {
    // A shared server is left as found (best effort: an error here must not hide the check's own).
    if (opts.apiServer && live) await live.clear().catch((err) => log(`could not delete the cluster state the check wrote: ${reason(err)}`));
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
  const lines = report.layers.map((l) => `  ${l.layer.padEnd(17)} ${l.unavailable ? 'COULD NOT RUN' : s(l.ms)}${l.layer === 'server dry-run' && report.apiServerStartMs !== undefined ? ` (API server start-up ${s(report.apiServerStartMs)})` : ''}${l.detail && !l.unavailable ? ` (${l.detail})` : ''}${l.unavailable ? `: ${l.unavailable}` : ''}`);
  return `Layers:\n${lines.join('\n')}\n`;
}
