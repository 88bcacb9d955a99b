// `istioctl analyze` live, on one rendered overlay: the cluster it runs in is on the check's API
// server (live.ts: the overlay's Kubernetes objects, its pods as they will run, the mesh `up`
// installs), its Istio config is given as files. Errors and warnings are findings; the allow file
// may excuse one, with a reason.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import YAML from 'yaml';
import { ISTIO_NAMESPACE } from '../istio/install.ts';
import type { KubeObject } from '../kube/render.ts';
import { repoRoot } from '../versions.ts';
import type { FindingSink } from './finding.ts';
import { onServer } from './live.ts';
import { LayerUnavailable } from './mesh.ts';

const exec = promisify(execFile);

export interface AnalyzerMessage {
  code: string;
  level: 'Error' | 'Warning' | 'Info';
  /** `VirtualService products.shop` (istioctl's friendly name). */
  origin?: string;
  reference?: string;
  message: string;
  documentationUrl?: string;
}

/** Runs the analyzer live: the cluster from the kubeconfig, the overlay's Istio config from files. */
export async function analyze(istioctl: string, kubeconfig: string, meshConfigFile: string, objects: KubeObject[]): Promise<AnalyzerMessage[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shopmesh-analyze-'));
  try {
    const file = path.join(dir, 'overlay.yaml');
    // The Kubernetes objects are on the server (istioctl ignores them in files); the rest is config.
    writeFileSync(file, objects.filter((o) => !onServer(o)).map((o) => YAML.stringify(o)).join('---\n'));
    let stdout: string;
    let stderr: string;
    try {
      ({ stdout, stderr } = await exec(
        istioctl,
        ['analyze', '--kubeconfig', kubeconfig, '--all-namespaces', '--istioNamespace', ISTIO_NAMESPACE, '--revision', 'default', '--meshConfigFile', meshConfigFile, '--output', 'json', '--output-threshold', 'Info', file],
        { maxBuffer: 64 * 1024 * 1024, timeout: 60_000 },
      ));
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: string };
      throw new LayerUnavailable(`istioctl analyze failed: ${(e.stderr ?? e.message).trim()}`);
    }
    // istioctl reports files it could not read on stderr and still exits 0 in JSON mode.
    const unreadable = /Error\(s\) adding files:([\s\S]*)/.exec(stderr);
    const messages = JSON.parse(stdout.trim() || '[]') as AnalyzerMessage[];
    if (unreadable) messages.push({ code: 'istioctl', level: 'Error', message: `could not read the rendered objects:${unreadable[1]!.trim()}` });
    return messages;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `VirtualService products.shop` → `VirtualService shop/products`; cluster-scoped names stay. */
export function objectOf(origin: string | undefined): string {
  if (!origin) return '';
  const m = /^(\S+) ([^.\s]+)\.(\S+)$/.exec(origin);
  return m ? `${m[1]} ${m[3]}/${m[2]}` : origin;
}

export interface AllowEntry {
  code: string;
  /** `Kind namespace/name`; absent: any object. */
  object?: string;
  /** `overlays/<name>`; absent: any overlay. */
  overlay?: string;
  /** Text the message must contain (e.g. the host of an IST0109); absent: any message. */
  matching?: string;
  reason: string;
}

export const ALLOW_FILE = path.join(repoRoot, 'check-allow.yaml');

/** The reviewed exceptions; every entry needs a code and a reason. */
export function loadAllowList(file = ALLOW_FILE): AllowEntry[] {
  if (!existsSync(file)) return [];
  const doc = (YAML.parse(readFileSync(file, 'utf8')) ?? {}) as { allow?: unknown };
  const entries = doc.allow ?? [];
  if (!Array.isArray(entries)) throw new Error(`${path.basename(file)}: "allow" must be a list`);
  return entries.map((e, i) => {
    const entry = e as Partial<AllowEntry>;
    if (typeof entry.code !== 'string' || !/^IST\d{4}$/.test(entry.code)) throw new Error(`${path.basename(file)}: allow[${i}] needs an istioctl code such as IST0101`);
    if (typeof entry.reason !== 'string' || entry.reason.trim().length < 10) throw new Error(`${path.basename(file)}: allow[${i}] (${entry.code}) needs a reason saying why it is fine`);
    return entry as AllowEntry;
  });
}

function allowed(allow: AllowEntry[], used: Set<AllowEntry>, overlay: string, m: AnalyzerMessage, object: string): boolean {
  const entry = allow.find(
    (a) => a.code === m.code && (a.object === undefined || a.object === object) && (a.overlay === undefined || a.overlay === overlay) && (a.matching === undefined || m.message.includes(a.matching)),
  );
  if (entry) used.add(entry);
  return entry !== undefined;
}

/** Turns analyzer messages into findings: errors and warnings fail unless allowed; infos are dropped. */
export function reportMessages(messages: AnalyzerMessage[], sink: FindingSink, allow: AllowEntry[], used: Set<AllowEntry>): void {
  for (const m of messages) {
    if (m.level === 'Info') continue;
    const object = objectOf(m.origin);
    if (allowed(allow, used, sink.overlay, m, object)) continue;
    sink.add({ severity: 'error', rule: m.code, object, path: '', message: m.message });
  }
}
