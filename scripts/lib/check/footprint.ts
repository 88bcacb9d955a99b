// shopmesh's own arithmetic (no upstream tool sums a sandbox): the requests and limits of the pods as
// they will run (app containers, and the sidecars at the proxy resources the install configures),
// per overlay; and the whole laptop budget: the shop, istiod and the gateway as their charts render
// with `up`'s values, cert-manager, and the addons when chosen.
import type { Addon } from '../istio/install.ts';
import type { Provider } from '../kube/context.ts';
import type { KubeObject } from '../kube/render.ts';
import type { Container, PodSpec } from './objects.ts';
import { podTemplates } from './objects.ts';
import type { RunningPod } from './inject.ts';

export interface Resources {
  cpuRequestMilli: number;
  cpuLimitMilli: number;
  memoryRequestBytes: number;
  memoryLimitBytes: number;
}

export interface Footprint extends Resources {
  overlay: string;
  pods: number;
  /** The share of the totals that the injected sidecars (istio-proxy) take. */
  sidecarCpuRequestMilli: number;
  sidecarMemoryRequestBytes: number;
}

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
const DECIMAL: Record<string, number> = { m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** A Kubernetes quantity in base units (cores or bytes); NaN when it doesn't parse. */
export function parseQuantity(q: string | number | undefined): number {
  if (q === undefined) return 0;
  if (typeof q === 'number') return q;
  const m = /^([0-9.]+)(Ki|Mi|Gi|Ti|m|k|M|G|T)?$/.exec(q.trim());
  if (!m) return Number.NaN;
  const unit = m[2] ?? '';
  return Number(m[1]) * (BINARY[unit] ?? DECIMAL[unit]!);
}

const ZERO: Resources = { cpuRequestMilli: 0, cpuLimitMilli: 0, memoryRequestBytes: 0, memoryLimitBytes: 0 };

function of(c: Container): Resources {
  return {
    cpuRequestMilli: Math.round(parseQuantity(c.resources?.requests?.cpu) * 1000),
    cpuLimitMilli: Math.round(parseQuantity(c.resources?.limits?.cpu) * 1000),
    memoryRequestBytes: parseQuantity(c.resources?.requests?.memory),
    memoryLimitBytes: parseQuantity(c.resources?.limits?.memory),
  };
}

function add(a: Resources, b: Resources, times = 1): Resources {
  return {
    cpuRequestMilli: a.cpuRequestMilli + b.cpuRequestMilli * times,
    cpuLimitMilli: a.cpuLimitMilli + b.cpuLimitMilli * times,
    memoryRequestBytes: a.memoryRequestBytes + b.memoryRequestBytes * times,
    memoryLimitBytes: a.memoryLimitBytes + b.memoryLimitBytes * times,
  };
}

function max(a: Resources, b: Resources): Resources {
  return {
    cpuRequestMilli: Math.max(a.cpuRequestMilli, b.cpuRequestMilli),
    cpuLimitMilli: Math.max(a.cpuLimitMilli, b.cpuLimitMilli),
    memoryRequestBytes: Math.max(a.memoryRequestBytes, b.memoryRequestBytes),
    memoryLimitBytes: Math.max(a.memoryLimitBytes, b.memoryLimitBytes),
  };
}

/**
 * What the scheduler reserves for one pod (Kubernetes' rule): its containers plus its restartable
 * (native sidecar) init containers, or the largest plain init container if that is more.
 */
export function podResources(spec: PodSpec): Resources {
  let sidecars = ZERO;
  let inits = ZERO;
  for (const c of (spec.initContainers ?? []) as (Container & { restartPolicy?: string })[]) {
    if (c.restartPolicy === 'Always') sidecars = add(sidecars, of(c));
    else inits = max(inits, add(of(c), sidecars));
  }
  const running = (spec.containers ?? []).reduce((acc, c) => add(acc, of(c)), sidecars);
  return max(running, inits);
}

function proxyOf(spec: PodSpec): Resources {
  const all = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
  return all.filter((c) => c.name === 'istio-proxy').reduce((acc, c) => add(acc, of(c)), ZERO);
}

function replicasOf(o: KubeObject): number {
  return podTemplates([o])[0]?.replicas ?? 1;
}

/** The long-running pods of one overlay as they will run, summed over replicas. */
export function footprint(overlay: string, pods: RunningPod[]): Footprint {
  const f: Footprint = { overlay, pods: 0, ...ZERO, sidecarCpuRequestMilli: 0, sidecarMemoryRequestBytes: 0 };
  let total = ZERO;
  for (const { from, pod } of pods) {
    if (from.kind === 'Job' || from.kind === 'CronJob') continue;
    const n = replicasOf(from);
    const spec = pod.spec as PodSpec;
    f.pods += n;
    total = add(total, podResources(spec), n);
    const proxy = proxyOf(spec);
    f.sidecarCpuRequestMilli += proxy.cpuRequestMilli * n;
    f.sidecarMemoryRequestBytes += proxy.memoryRequestBytes * n;
  }
  return { ...f, ...total };
}

/** Requests and limits of every long-running workload in a set of rendered objects (a chart or a manifest). */
export function workloadResources(objects: KubeObject[]): Resources {
  return podTemplates(objects)
    .filter((t) => t.longRunning)
    .reduce((acc, t) => add(acc, podResources(t.spec), t.replicas), ZERO);
}

const mi = (bytes: number) => `${Math.round(bytes / 2 ** 20)}Mi`;
const cores = (milli: number) => `${milli}m`;

function table(header: string[], body: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n') + '\n';
}

/** One row per overlay: its pods with their sidecars, and the sidecars' share of the requests. */
export function formatFootprintTable(rows: Footprint[]): string {
  return table(
    ['overlay', 'pods', 'cpu req', 'of it sidecars', 'mem req', 'of it sidecars', 'cpu lim', 'mem lim'],
    rows.map((r) => [r.overlay, String(r.pods), cores(r.cpuRequestMilli), cores(r.sidecarCpuRequestMilli), mi(r.memoryRequestBytes), mi(r.sidecarMemoryRequestBytes), cores(r.cpuLimitMilli), mi(r.memoryLimitBytes)]),
  );
}

/** The requests a baseline sandbox may reserve on an 8 GB laptop (the rest is the OS, the cluster and the IDE). */
export const LAPTOP_BUDGET = { cpuRequestMilli: 1500, memoryRequestBytes: 2 * 2 ** 30 } as const;

export interface LaptopBudget {
  provider: Provider;
  parts: { name: string; resources: Resources; note?: string }[];
  baseline: Resources;
  /** Empty when the addons' manifests are not on this machine (the Istio module source). */
  addons: { name: Addon; resources: Resources }[];
}

export function laptopBudget(provider: Provider, shop: Footprint, istiod: KubeObject[], gateway: RunningPod[], cni: KubeObject[], addons: Record<Addon, KubeObject[]> = {} as Record<Addon, KubeObject[]>): LaptopBudget {
  const gatewayResources = gateway.reduce((acc, p) => add(acc, podResources(p.pod.spec as PodSpec), replicasOf(p.from)), ZERO);
  const parts = [
    { name: `${shop.overlay}: ${shop.pods} pods with sidecars`, resources: shop as Resources },
    { name: 'istiod', resources: workloadResources(istiod) },
    // A DaemonSet: one agent per node, and the sandboxes have one node.
    { name: 'Istio CNI node agent', resources: workloadResources(cni) },
    { name: 'ingress gateway', resources: gatewayResources },
    // Its chart leaves controller, webhook and cainjector without requests (BestEffort): nothing reserved.
    { name: 'cert-manager', resources: ZERO, note: 'chart sets no requests (BestEffort)' },
  ];
  const baseline = parts.reduce((acc, p) => add(acc, p.resources), ZERO);
  return { provider, parts, baseline, addons: (Object.keys(addons) as Addon[]).map((a) => ({ name: a, resources: workloadResources(addons[a]) })) };
}

export function overBudget(b: LaptopBudget): string[] {
  const out: string[] = [];
  if (b.baseline.cpuRequestMilli > LAPTOP_BUDGET.cpuRequestMilli) out.push(`CPU requests ${cores(b.baseline.cpuRequestMilli)} exceed the ${cores(LAPTOP_BUDGET.cpuRequestMilli)} budget`);
  if (b.baseline.memoryRequestBytes > LAPTOP_BUDGET.memoryRequestBytes) out.push(`memory requests ${mi(b.baseline.memoryRequestBytes)} exceed the ${mi(LAPTOP_BUDGET.memoryRequestBytes)} budget`);
  return out;
}

export function formatLaptopBudget(budgets: LaptopBudget[]): string {
  const first = budgets[0];
  if (!first) return '';
  const row = (name: string, r: Resources, note = '') => [name, cores(r.cpuRequestMilli), mi(r.memoryRequestBytes), cores(r.cpuLimitMilli), mi(r.memoryLimitBytes), note];
  const body = [
    ...first.parts.map((p) => row(p.name, p.resources, p.note)),
    ...budgets.map((b) => row(`total on ${b.provider}`, b.baseline, overBudget(b).join('; ') || 'within budget')),
    ...first.addons.map((a) => row(`+ addon ${a.name}`, a.resources)),
    ...(first.addons.length ? [row(`total with all addons`, first.addons.reduce((acc, a) => add(acc, a.resources), first.baseline))] : [row('addons', ZERO, 'not counted offline: up applies them from the Istio release at install time')]),
  ];
  return table(['laptop budget (8 GB; baseline ≤ 1500m CPU, ≤ 2048Mi requests)', 'cpu req', 'mem req', 'cpu lim', 'mem lim', ''], body);
}
