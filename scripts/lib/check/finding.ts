// One finding of `npm run check`: where (overlay, object, field path) and what is wrong.
import { objectRef, type KubeObject } from '../kube/render.ts';

export type Severity = 'error' | 'warning';

export interface Finding {
  severity: Severity;
  /** Stable rule id, e.g. `ref/subset`; tests and --json consumers key on it. */
  rule: string;
  /** The kustomization folder as the user named it, e.g. `overlays/canary`. */
  overlay: string;
  /** `Kind namespace/name`, or empty for findings about the whole overlay. */
  object: string;
  /** Field path in the rendered object, e.g. `spec.http[0].route[1].destination.subset`. */
  path: string;
  message: string;
}

/** `overlays/canary: VirtualService shop/products: spec.http[0]… "v3" is not defined by any DestinationRule` */
export function formatFinding(f: Finding): string {
  const where = [f.overlay, f.object].filter(Boolean).join(': ');
  return `${where}: ${f.path ? `${f.path} ` : ''}${f.message}`;
}

/** Collects findings for one overlay, so rules only say what is wrong and where. */
export class FindingSink {
  readonly findings: Finding[] = [];
  constructor(readonly overlay: string) {}

  error(rule: string, obj: KubeObject | null, path: string, message: string): void {
    this.findings.push({ severity: 'error', rule, overlay: this.overlay, object: obj ? objectRef(obj) : '', path, message });
  }

  warning(rule: string, obj: KubeObject | null, path: string, message: string): void {
    this.findings.push({ severity: 'warning', rule, overlay: this.overlay, object: obj ? objectRef(obj) : '', path, message });
  }
}

/** JSON-pointer-ish segments to `a.b[0].c`. */
export function joinPath(segments: readonly (string | number)[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else out += /^[A-Za-z_$][\w$-]*$/.test(s) ? (out ? `.${s}` : s) : `[${JSON.stringify(s)}]`;
  }
  return out;
}
