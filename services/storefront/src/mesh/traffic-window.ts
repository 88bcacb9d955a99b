// The arithmetic behind the /mesh chart: a rolling window of the last N responses, the share of
// each version and pod, the error rate and latency percentiles. The browser runs this same class:
// `trafficWindowScript()` serves its source text, so the chart and its tests share one copy.

export interface TrafficSample {
  /** `x-service-version` of the answer, or "" when nothing answered. */
  version: string;
  /** `x-pod` of the answer, or "" when nothing answered. */
  pod: string;
  /** HTTP status, 0 when the call did not complete. */
  status: number;
  /** Latency of the call in milliseconds. */
  ms: number;
}

export interface Share {
  key: string;
  count: number;
  /** count / total, between 0 and 1. */
  share: number;
}

export interface TrafficSummary {
  total: number;
  byVersion: Share[];
  byPod: Share[];
  errors: number;
  errorRate: number;
  p50: number | null;
  p95: number | null;
}

export const DEFAULT_WINDOW = 100;

export class TrafficWindow {
  /** The key for a call that got no service's answer (no headers), e.g. a mesh-injected abort. */
  static readonly NO_ANSWER = '(no answer)';
  readonly capacity: number;
  #samples: TrafficSample[] = [];

  // The browser gets this class's source text, so it refers to nothing outside itself.
  constructor(capacity: number = 100) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    this.capacity = capacity;
  }

  push(sample: TrafficSample): void {
    this.#samples.push(sample);
    if (this.#samples.length > this.capacity) this.#samples.splice(0, this.#samples.length - this.capacity);
  }

  /** Oldest first. */
  samples(): readonly TrafficSample[] {
    return this.#samples.slice();
  }

  summary(): TrafficSummary {
    const samples = this.#samples;
    const total = samples.length;
    const errors = samples.filter((s) => TrafficWindow.isError(s.status)).length;
    const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
    return {
      total,
      byVersion: TrafficWindow.shares(samples.map((s) => s.version || TrafficWindow.NO_ANSWER)),
      byPod: TrafficWindow.shares(samples.map((s) => s.pod || TrafficWindow.NO_ANSWER)),
      errors,
      errorRate: total === 0 ? 0 : errors / total,
      p50: TrafficWindow.percentile(sorted, 50),
      p95: TrafficWindow.percentile(sorted, 95),
    };
  }

  /** Anything but a 2xx or 3xx counts as an error, including a call that never completed (0). */
  static isError(status: number): boolean {
    return !(status >= 200 && status < 400);
  }

  /** Counts and shares of each distinct value, most frequent first, ties by name. */
  static shares(values: readonly string[]): Share[] {
    const counts = new Map<string, number>();
    for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
    const total = values.length;
    return [...counts.entries()]
      .map(([key, count]) => ({ key, count, share: count / total }))
      .sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Nearest-rank percentile of an ascending list; null for an empty one. */
  static percentile(sortedAscending: readonly number[], p: number): number | null {
    const n = sortedAscending.length;
    if (n === 0) return null;
    const rank = Math.min(n, Math.max(1, Math.ceil((p / 100) * n)));
    return sortedAscending[rank - 1] ?? null;
  }
}

/**
 * Browser script text that defines `TrafficWindow` as a global, built from the class above.
 * tsx compiles with keepNames, which wraps classes in a `__name(...)` helper; the shim makes the
 * text standalone in both tsx and the esbuild bundle.
 */
export function trafficWindowScript(): string {
  return `var __name = (target) => target;\nvar TrafficWindow = (${TrafficWindow.toString()});\n`;
}
