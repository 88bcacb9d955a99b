// Test support: has the real upstream CLI (from .bin/, see `npm run tools`) judge a command line the
// scripts planned or ran. The tool runs with the same arguments against endpoints that cannot answer
// (a kubeconfig pointing at 127.0.0.1:1, a Docker socket that does not exist, a fresh HOME), so it
// parses and validates everything it validates before it connects, and then fails to connect.
// A command it refuses for any other reason is refused here.
//
// Plain erasable TypeScript with node: imports only: the recording stubs import it under Node's own
// type stripping, without tsx.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The CLIs the scripts call that `npm run tools` provides. */
export const REAL_CLIS = ['helm', 'kubectl', 'kind', 'k3d', 'istioctl', 'tilt'] as const;
export type RealCli = (typeof REAL_CLIS)[number];

export const SANDBOX_CONTEXTS = ['k3d-shopmesh', 'kind-shopmesh', 'microk8s'] as const;

export interface Verdict {
  accepted: boolean;
  /** Why it was refused, in the tool's own words where it has them. */
  reason?: string;
  code: number | null;
  output: string;
}

// What cobra-based CLIs (and kubectl's own checks) print when the command line itself is wrong.
const USAGE_ERRORS: RegExp[] = [
  /unknown (flag|shorthand flag): .*/i,
  /unknown command ".*" for ".*"/i,
  /invalid argument ".*" for ".*" flag: .*/i,
  /flag needs an argument: .*/i,
  /(accepts|requires) (at most |at least |exactly |between )?\d+( and \d+)? arg\(s\).*/i,
  /required flag\(s\) .* not set/i,
  /if any flags in the group \[.*\] are set .*/i,
  /error: .* (only works with|cannot be used with|must be used with|is only valid with) .*/i,
];

// What the tools print when they got as far as the endpoint that is not there.
const DEAD_ENDPOINT: RegExp[] = [
  /connection refused/i,
  /the connection to the server .* was refused/i,
  /cluster unreachable/i,
  /Cannot connect to the Docker daemon/i,
  /Is the docker daemon running/i,
  /no such host/i,
  /dial (tcp|unix) /i,
  /docker\.sock.*no such file or directory/i,
  /failed to (connect|get docker|list (nodes|clusters))/i,
  /unable to connect to the server/i,
];

/** Shopmesh's own rules for intent that no parser can see (each one says why). */
function ownRules(tool: RealCli, args: readonly string[]): string | undefined {
  if (tool === 'helm' && (args[0] === 'upgrade' || args[0] === 'install')) {
    // Helm 4 accepts --wait=hookOnly (a valid strategy), but then it does not wait for the
    // release's resources, and `up` would go on before istiod or the gateway is ready.
    const wait = args.find((a) => a === '--wait' || a.startsWith('--wait='));
    if (!wait) return 'helm upgrade/install without --wait: `up` must not go on before the release is ready';
    if (wait !== '--wait' && wait !== '--wait=watcher') return `helm ${wait} does not wait for the release's resources; use --wait (the watcher strategy)`;
  }
  return undefined;
}

/** Writes the kubeconfig and folders that make every endpoint dead; returns the environment. */
export function deadEnvironment(dir: string): Record<string, string> {
  const home = path.join(dir, 'home');
  mkdirSync(home, { recursive: true });
  const kubeconfig = path.join(dir, 'dead-kubeconfig');
  if (!existsSync(kubeconfig)) {
    const contexts = SANDBOX_CONTEXTS.map((name) => `- name: ${name}\n  context: {cluster: dead, user: dead}`).join('\n');
    writeFileSync(
      kubeconfig,
      `apiVersion: v1\nkind: Config\nclusters:\n- name: dead\n  cluster: {server: "https://127.0.0.1:1"}\nusers:\n- name: dead\n  user: {token: dead}\ncontexts:\n${contexts}\ncurrent-context: ${SANDBOX_CONTEXTS[0]}\n`,
    );
  }
  return {
    HOME: home,
    KUBECONFIG: kubeconfig,
    DOCKER_HOST: `unix://${path.join(dir, 'no-docker.sock')}`,
    // Nothing on PATH but the system: the stubs must not answer for the real tool's own children.
    PATH: '/usr/bin:/bin',
    HELM_CACHE_HOME: path.join(home, '.cache', 'helm'),
    HELM_CONFIG_HOME: path.join(home, '.config', 'helm'),
    HELM_DATA_HOME: path.join(home, '.local', 'share', 'helm'),
    XDG_CONFIG_HOME: path.join(home, '.config'),
    TILT_DEV_DIR: path.join(home, '.tilt-dev'),
    NO_COLOR: '1',
  };
}

export function firstLineMatching(output: string, patterns: RegExp[]): string | undefined {
  for (const line of output.split('\n')) for (const p of patterns) if (p.test(line)) return line.trim();
  return undefined;
}

/**
 * Runs `<binDir>/<tool> <args>` against dead endpoints and judges it: accepted when it exits 0 or fails
 * only at the dead endpoint; refused on a usage error, on a shopmesh rule, or on any other failure.
 */
export function judgeWithRealTool(binDir: string, tool: RealCli, args: readonly string[], options: { stdin?: string; workDir: string; cwd?: string }): Verdict {
  const own = ownRules(tool, args);
  if (own) return { accepted: false, reason: `shopmesh rule: ${own}`, code: null, output: '' };
  const executable = path.join(binDir, tool);
  if (!existsSync(executable)) {
    return { accepted: false, reason: `the real ${tool} is not in ${binDir}: run \`npm run tools\``, code: null, output: '' };
  }
  const result = spawnSync(executable, [...args], {
    input: options.stdin ?? '',
    env: deadEnvironment(options.workDir),
    cwd: options.cwd ?? options.workDir,
    encoding: 'utf8',
    timeout: 60_000,
  });
  const output = `${result.stdout ?? ''}\n${result.stderr ?? ''}`.trim();
  if (result.error) return { accepted: false, reason: `running the real ${tool} failed: ${result.error.message}`, code: null, output };
  const usage = firstLineMatching(output, USAGE_ERRORS);
  if (usage) return { accepted: false, reason: `the real ${tool} refuses it: ${usage}`, code: result.status, output };
  if (result.status === 0) return { accepted: true, code: 0, output };
  if (firstLineMatching(output, DEAD_ENDPOINT)) return { accepted: true, code: result.status, output };
  const last = output.split('\n').filter(Boolean).slice(-3).join(' | ');
  return { accepted: false, reason: `the real ${tool} failed for a reason other than the dead endpoint: ${last}`, code: result.status, output };
}
