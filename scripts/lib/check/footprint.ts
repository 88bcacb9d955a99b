// Footprint: CPU and memory requests and limits of the app containers, summed over replicas.
import type { ObjectIndex } from './objects.ts';

export interface Footprint {
  overlay: string;
  pods: number;
  cpuRequestMilli: number;
  cpuLimitMilli: number;
  memoryRequestBytes: number;
  memoryLimitBytes: number;
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

export function footprint(overlay: string, index: ObjectIndex): Footprint {
  const f: Footprint = { overlay, pods: 0, cpuRequestMilli: 0, cpuLimitMilli: 0, memoryRequestBytes: 0, memoryLimitBytes: 0 };
  for (const t of index.templates) {
    if (!t.longRunning) continue;
    f.pods += t.replicas;
    for (const c of t.spec.containers ?? []) {
      f.cpuRequestMilli += Math.round(parseQuantity(c.resources?.requests?.cpu) * 1000) * t.replicas;
      f.cpuLimitMilli += Math.round(parseQuantity(c.resources?.limits?.cpu) * 1000) * t.replicas;
      f.memoryRequestBytes += parseQuantity(c.resources?.requests?.memory) * t.replicas;
      f.memoryLimitBytes += parseQuantity(c.resources?.limits?.memory) * t.replicas;
    }
  }
  return f;
}

const mi = (bytes: number) => `${Math.round(bytes / 2 ** 20)}Mi`;

/** A plain-text table, one row per overlay. Sidecars are not included (their size is set by the Istio install). */
export function formatFootprintTable(rows: Footprint[]): string {
  const header = ['overlay', 'pods', 'cpu req', 'cpu lim', 'mem req', 'mem lim'];
  const body = rows.map((r) => [r.overlay, String(r.pods), `${r.cpuRequestMilli}m`, `${r.cpuLimitMilli}m`, mi(r.memoryRequestBytes), mi(r.memoryLimitBytes)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n') + '\n';
}
