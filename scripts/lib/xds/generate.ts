// Runs .bin/shopmesh-xds (tools/istio/cmd/shopmesh-xds): Istio's own fake discovery server, fed the
// rendered overlay plus the gateway chart and istiod settings `npm run up` installs, generates the
// Envoy config of the gateway and every sidecar, and simulates calls through it.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { FixableError } from '../cli.ts';
import type { KubeObject } from '../kube/render.ts';
import { GATEWAY_NAMESPACE, GATEWAY_RELEASE, gatewayValues, istiodValues } from '../istio/install.ts';
import { providers } from '../providers/index.ts';
import { repoRoot, version } from '../versions.ts';

/** A request simulated through one proxy's generated config (Istio's pilot/pkg/simulation). */
export interface XdsCall {
  /** The Deployment whose proxy sends or receives it. */
  proxy: string;
  mode: 'gateway' | 'outbound' | 'inbound';
  /** name.namespace of the Service an outbound call is addressed to. */
  service?: string;
  port: number;
  path?: string;
  host?: string;
  headers?: Record<string, string>;
  tls?: 'plaintext' | 'tls' | 'mtls';
}

export interface XdsCallResult {
  call: XdsCall;
  listener?: string;
  filterChain?: string;
  routeConfig?: string;
  virtualHost?: string;
  /** Index of the matched route in the virtual host's routes, -1 when none matched. */
  routeIndex: number;
  cluster?: string;
  error?: string;
}

export interface XdsPod {
  name: string;
  namespace: string;
  deployment: string;
  ip: string;
  labels: Record<string, string>;
  serviceAccount: string;
  injected: boolean;
  gateway: boolean;
}

/** Envoy resources as JSON (proto field names), exactly as the generator built them. */
export type EnvoyJson = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface XdsProxy {
  deployment: string;
  namespace: string;
  pod: string;
  type: 'sidecar' | 'router';
  labels: Record<string, string>;
  listeners: EnvoyJson[];
  clusters: EnvoyJson[];
  routes: EnvoyJson[];
  endpoints: EnvoyJson[];
}

export interface XdsResult {
  name: string;
  error?: string;
  pods: XdsPod[];
  proxies: XdsProxy[];
  /** URLs istiod fetched a JWKS from (answered on loopback by shopmesh-xds, never the network). */
  jwksFetches: string[];
  ignored: string[];
  calls: XdsCallResult[];
}

export interface XdsScenarioInput {
  name: string;
  objects: readonly KubeObject[];
  calls: readonly XdsCall[];
}

export function xdsBinary(): string {
  return process.env.SHOPMESH_XDS ?? path.join(repoRoot, '.bin', 'shopmesh-xds');
}

/** The request shopmesh-xds reads: the proxies at the chart version the cluster runs, up's istiod and gateway values. */
export function xdsRequest(scenarios: readonly XdsScenarioInput[]): Record<string, unknown> {
  return {
    istioVersion: version('charts.istio'),
    meshConfig: istiodValues().meshConfig,
    gateway: { release: GATEWAY_RELEASE, namespace: GATEWAY_NAMESPACE, values: gatewayValues(providers.k3d.gatewayService) },
    scenarios,
  };
}

/** Generates every scenario in one shopmesh-xds process (about half a second each). */
export async function generateXds(scenarios: readonly XdsScenarioInput[], bin = xdsBinary()): Promise<XdsResult[]> {
  if (!existsSync(bin)) throw new FixableError(`${path.relative(process.cwd(), bin) || bin} is not built`, 'run `npm run tools` (it builds shopmesh-xds from tools/istio)');
  const input = JSON.stringify(xdsRequest(scenarios));
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(bin, ['--in', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (c) => resolve({ code: c, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
    child.stdin.end(input);
  });
  if (code !== 0 && code !== 1) throw new Error(`shopmesh-xds exited with ${code}: ${stderr.trim() || '(no output)'}`);
  const parsed = JSON.parse(stdout) as { scenarios: XdsResult[] };
  return parsed.scenarios;
}
