// Prometheus text for GET /metrics: a request counter and a latency histogram by method, matched
// route pattern and status. Recording is a few Map lookups and one array increment per request.

/** Upper bounds in seconds. */
export const LATENCY_BUCKETS = Object.freeze([0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);

interface Series {
  /** Per-bucket (non-cumulative) counts; the last slot is +Inf. */
  buckets: number[];
  count: number;
  sumSeconds: number;
}

export interface Metrics {
  record(method: string, route: string, status: number, durationSeconds: number): void;
  render(): string;
}

export function createMetrics(service: string): Metrics {
  // method -> route -> status -> series
  const table = new Map<string, Map<string, Map<number, Series>>>();

  const record = (method: string, route: string, status: number, durationSeconds: number): void => {
    let byRoute = table.get(method);
    if (byRoute === undefined) table.set(method, (byRoute = new Map()));
    let byStatus = byRoute.get(route);
    if (byStatus === undefined) byRoute.set(route, (byStatus = new Map()));
    let series = byStatus.get(status);
    if (series === undefined) byStatus.set(status, (series = { buckets: new Array<number>(LATENCY_BUCKETS.length + 1).fill(0), count: 0, sumSeconds: 0 }));
    let index = 0;
    while (index < LATENCY_BUCKETS.length && durationSeconds > LATENCY_BUCKETS[index]!) index++;
    series.buckets[index]!++;
    series.count++;
    series.sumSeconds += durationSeconds;
  };

  const render = (): string => {
    const counts: string[] = [
      '# HELP http_requests_total Requests served, by method, route pattern and status.',
      '# TYPE http_requests_total counter',
    ];
    const histogram: string[] = [
      '# HELP http_request_duration_seconds Request latency, by method, route pattern and status.',
      '# TYPE http_request_duration_seconds histogram',
    ];
    for (const [method, byRoute] of table) {
      for (const [route, byStatus] of byRoute) {
        for (const [status, series] of byStatus) {
          const labels = `service="${escapeLabel(service)}",method="${escapeLabel(method)}",route="${escapeLabel(route)}",status="${status}"`;
          counts.push(`http_requests_total{${labels}} ${series.count}`);
          let cumulative = 0;
          LATENCY_BUCKETS.forEach((bound, i) => {
            cumulative += series.buckets[i]!;
            histogram.push(`http_request_duration_seconds_bucket{${labels},le="${bound}"} ${cumulative}`);
          });
          histogram.push(`http_request_duration_seconds_bucket{${labels},le="+Inf"} ${series.count}`);
          histogram.push(`http_request_duration_seconds_sum{${labels}} ${series.sumSeconds}`);
          histogram.push(`http_request_duration_seconds_count{${labels}} ${series.count}`);
        }
      }
    }
    return `${counts.join('\n')}\n${histogram.join('\n')}\n`;
  };

  return { record, render };
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
