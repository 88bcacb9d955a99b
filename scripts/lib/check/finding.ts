// One finding of `npm run check`: where (overlay, object, field path), which layer and tool code, and what is wrong.
import { objectRef, type KubeObject } from '../kube/render.ts';

export type Severity = 'error' | 'warning';

/** The layers of `npm run check`, in the order they run. */
export const LAYERS = ['render', 'istioctl analyze', 'server dry-run', 'injected pods', 'shopmesh rules'] as const;
export type Layer = (typeof LAYERS)[number];

export interface Finding {
  severity: Severity;
  layer: Layer;
  /** Stable rule id: istioctl's code (`IST0101`), `dry-run`, `pod-security`, or a shopmesh rule (`workload/probes`). */
  rule: string;
  /** The kustomization folder as the user named it, e.g. `overlays/canary`. */
  overlay: string;
  /** `Kind namespace/name`, or empty for findings about the whole overlay. */
  object: string;
  /** Field path in the rendered object, e.g. `spec.http[0].route[1].destination.subset`, or empty. */
  path: string;
  message: string;
}

/**
 * `overlays/canary: IST0101 VirtualService shop/products: Referenced host+subset in destinationrule not found: …`
 * (the tool's code leads when the finding comes from istioctl).
 */
export function formatFinding(f: Finding): string {
  const code = /^IST\d{4}$/.test(f.rule) ? `${f.rule} ` : '';
  const where = [f.overlay, `${code}${f.object}`.trim()].filter(Boolean).join(': ');
  return `${where}: ${f.path ? `${f.path} ` : ''}${f.message}`;
}

/** Collects findings for one overlay, so rules only say what is wrong and where. */
export class FindingSink {
  constructor(
    readonly overlay: string,
    readonly layer: Layer = 'shopmesh rules',
    readonly findings: Finding[] = [],
  ) {}

  /** The same overlay's sink for another layer (findings land in one list). */
  forLayer(layer: Layer): FindingSink {
    return new FindingSink(this.overlay, layer, this.findings);
  }

  add(f: Omit<Finding, 'overlay' | 'layer'>): void {
    this.findings.push({ ...f, overlay: this.overlay, layer: this.layer });
  }

  error(rule: string, obj: KubeObject | string | null, path: string, message: string): void {
    this.add({ severity: 'error', rule, object: ref(obj), path, message });
  }

  warning(rule: string, obj: KubeObject | string | null, path: string, message: string): void {
    this.add({ severity: 'warning', rule, object: ref(obj), path, message });
  }
}

function ref(obj: KubeObject | string | null): string {
  if (obj === null) return '';
  return typeof obj === 'string' ? obj : objectRef(obj);
}
