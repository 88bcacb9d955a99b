// The /mesh page's client script: it asks the storefront for a sample of the products service at a
// steady rate and redraws the chart from a TrafficWindow. The browser gets this function's source
// text (see meshClientScript), so it refers to nothing outside itself but its arguments and the DOM.
import { trafficWindowScript, type TrafficSample, type TrafficSummary, type TrafficWindow } from './traffic-window.ts';

export interface MeshClientOptions {
  endpoint: string;
  /** Samples per second. */
  rate: number;
  /** Size of the rolling window. */
  window: number;
}

/** The most samples in flight at once, so a slow mesh does not pile up requests in the browser. */
const MAX_IN_FLIGHT = 8;

export function runMeshClient(Window: typeof TrafficWindow, options: MeshClientOptions, maxInFlight: number): void {
  const root = document.getElementById('mesh');
  if (!root) return;
  const traffic = new Window(options.window);
  const byId = (id: string): HTMLElement => {
    const el = document.getElementById(id);
    if (!el) throw new Error(`missing #${id}`);
    return el;
  };
  const VERSION_COLORS: Record<string, string> = { v1: '#2563eb', v2: '#f59e0b', v3: '#10b981' };
  const PALETTE = ['#0ea5e9', '#8b5cf6', '#14b8a6', '#f97316', '#ec4899', '#84cc16', '#64748b', '#eab308'];
  const colorOf = (key: string, fixed: Record<string, string>): string => {
    if (key === Window.NO_ANSWER) return '#dc2626';
    const known = fixed[key];
    if (known) return known;
    let hash = 0;
    for (let i = 0; i < key.length; i++) hash = (hash * 31 + key.charCodeAt(i)) >>> 0;
    return PALETTE[hash % PALETTE.length] ?? '#64748b';
  };
  const el = (tag: string, className: string, text?: string): HTMLElement => {
    const node = document.createElement(tag);
    node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const percent = (share: number): string => `${(share * 100).toFixed(share > 0 && share < 0.1 ? 1 : 0)}%`;
  const millis = (ms: number | null): string => (ms === null ? '–' : `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`);

  const drawShares = (container: HTMLElement, shares: TrafficSummary['byVersion'], fixed: Record<string, string>) => {
    const strip = el('div', 'strip');
    const legend = el('ul', 'legend');
    for (const s of shares) {
      const label = s.share >= 0.25 ? `${s.key} ${percent(s.share)}` : s.share >= 0.06 ? percent(s.share) : '';
      const segment = el('div', 'segment', label);
      segment.style.width = `${s.share * 100}%`;
      segment.style.background = colorOf(s.key, fixed);
      segment.title = `${s.key}: ${s.count} (${percent(s.share)})`;
      strip.append(segment);
      const item = el('li', 'legend-item');
      const swatch = el('span', 'swatch');
      swatch.style.background = colorOf(s.key, fixed);
      item.append(swatch, el('span', 'legend-key', s.key), el('span', 'legend-value', `${percent(s.share)} · ${s.count}`));
      legend.append(item);
    }
    container.replaceChildren(strip, legend);
  };
  const drawRecent = (container: HTMLElement, samples: readonly TrafficSample[]) => {
    const cells = samples.map((s) => {
      const key = s.version || Window.NO_ANSWER;
      const cell = el('span', Window.isError(s.status) ? 'cell error' : 'cell');
      cell.style.background = colorOf(key, VERSION_COLORS);
      cell.title = `${key} · ${s.pod || '–'} · ${s.status || 'no response'} · ${millis(s.ms)}`;
      return cell;
    });
    container.replaceChildren(...cells);
  };

  let drawPending = false;
  const draw = () => {
    drawPending = false;
    const summary = traffic.summary();
    root.dataset.total = String(summary.total);
    byId('mesh-total').textContent = `${summary.total} / ${traffic.capacity}`;
    byId('mesh-error-rate').textContent = percent(summary.errorRate);
    byId('mesh-error-rate').classList.toggle('bad', summary.errorRate > 0);
    byId('mesh-p50').textContent = millis(summary.p50);
    byId('mesh-p95').textContent = millis(summary.p95);
    drawShares(byId('mesh-versions'), summary.byVersion, VERSION_COLORS);
    drawShares(byId('mesh-pods'), summary.byPod, {});
    drawRecent(byId('mesh-recent'), traffic.samples());
  };
  const scheduleDraw = () => {
    if (drawPending) return;
    drawPending = true;
    requestAnimationFrame(draw);
  };

  let inFlight = 0;
  let paused = false;
  const sampleOnce = async () => {
    if (paused || inFlight >= maxInFlight) return;
    inFlight++;
    const started = performance.now();
    try {
      const res = await fetch(options.endpoint, { cache: 'no-store', headers: { accept: 'application/json' } });
      const body = (await res.json()) as Partial<TrafficSample>;
      traffic.push({
        version: typeof body.version === 'string' ? body.version : '',
        pod: typeof body.pod === 'string' ? body.pod : '',
        status: typeof body.status === 'number' ? body.status : res.status,
        ms: typeof body.ms === 'number' ? body.ms : performance.now() - started,
      });
    } catch {
      traffic.push({ version: '', pod: '', status: 0, ms: performance.now() - started });
    } finally {
      inFlight--;
      scheduleDraw();
    }
  };

  const toggle = byId('mesh-toggle');
  toggle.addEventListener('click', () => {
    paused = !paused;
    toggle.textContent = paused ? 'Resume' : 'Pause';
    root.dataset.state = paused ? 'paused' : 'running';
  });
  root.dataset.state = 'running';
  setInterval(() => void sampleOnce(), 1000 / options.rate);
  draw();
}

/** The whole script served at /mesh/client.js; it reads its options from the #mesh element. */
export function meshClientScript(): string {
  return `${trafficWindowScript()}
(() => {
  const root = document.getElementById('mesh');
  if (!root) return;
  const options = { endpoint: root.dataset.endpoint, rate: Number(root.dataset.rate), window: Number(root.dataset.window) };
  (${runMeshClient.toString()})(TrafficWindow, options, ${MAX_IN_FLIGHT});
})();
`;
}
