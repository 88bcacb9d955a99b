// Starts shop services as real processes on 127.0.0.1 with ephemeral ports, for integration tests,
// benchmarks and the browser test. Every process runs in its own process group so that stop() can
// take down the service and anything it spawned; a process-exit hook kills whatever is left.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { listServices } from '../../scripts/lib/services.ts';
import { repoRoot } from '../../scripts/lib/versions.ts';
import { startWaves, upstreamsOf, urlVariable } from '../../scripts/lib/dev/topology.ts';

export interface LogLine {
  raw: string;
  /** The parsed line when it is a JSON object. */
  json?: Record<string, unknown>;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface StartShopOptions {
  /** Services to start; their upstreams are not added automatically. Default: every discovered service. */
  services?: readonly string[];
  /** Extra environment for every service. */
  env?: Readonly<Record<string, string>>;
  /** Extra environment per service, applied after `env`. */
  serviceEnv?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Bound on the wait for each service's listening line. */
  readyTimeoutMs?: number;
  /** Bound on the wait after SIGTERM before SIGKILL. */
  stopTimeoutMs?: number;
  /** Where services are discovered (tests of the harness point this at fixtures). */
  servicesDir?: string;
}

/** Upstreams that are not started point here: a closed port, so calls fail fast and never reach a developer's `npm run dev`. */
export const UNSTARTED_UPSTREAM_URL = 'http://127.0.0.1:9';
const MAX_LINES_KEPT = 200_000;
const INHERITED_SETTINGS = ['PORT', 'ADMIN_PORT', 'HOST', 'SERVICE_VERSION', 'LATENCY_MS', 'LATENCY_PERCENT', 'ERROR_PERCENT', 'ERROR_STATUS', 'ALWAYS_FAIL', 'NODE_OPTIONS', 'DATA_DIR', 'SERVICE_TOKEN', 'FAIL_AFTER_CHARGE_PERCENT'];

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) killGroup(child, 'SIGKILL');
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

export class ServiceProcess {
  readonly lines: LogLine[] = [];
  stderr = '';
  readonly events = new EventEmitter();
  /** When false, lines after the listening line are not kept or parsed (benchmarks: the logs would cost the load generator CPU). */
  captureLogs = true;
  private listening = false;
  port = 0;
  adminPort = 0;
  child!: ChildProcess;
  exit: Exit | undefined;
  exited!: Promise<Exit>;

  constructor(
    readonly name: string,
    readonly command: string,
    readonly args: readonly string[],
    readonly env: Record<string, string>,
  ) {
    this.events.setMaxListeners(0);
  }

  /** Spawns the process and resolves once it printed its listening line. */
  async start(ports: { port: number; adminPort: number }, readyTimeoutMs: number): Promise<void> {
    const child = spawn(this.command, this.args, {
      cwd: repoRoot,
      env: { ...this.env, PORT: String(ports.port), ADMIN_PORT: String(ports.adminPort) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.child = child;
    this.exit = undefined;
    this.listening = false;
    live.add(child);
    this.exited = new Promise<Exit>((resolve) => {
      child.once('exit', (code, signal) => {
        live.delete(child);
        this.exit = { code, signal };
        this.events.emit('exit', this.exit);
        resolve(this.exit);
      });
    });
    child.once('error', (err) => {
      this.stderr += `spawn failed: ${err.message}\n`;
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-64_000);
    });
    const lines = createInterface({ input: child.stdout!, crlfDelay: Infinity });
    lines.on('line', (raw) => this.onLine(raw));

    await new Promise<void>((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        this.events.off('line', onLine);
        this.events.off('exit', onExit);
      };
      const fail = (why: string) => {
        cleanup();
        reject(new Error(`${this.name} ${why}\n--- stderr ---\n${this.stderr.trim().split('\n').slice(-30).join('\n')}\n--- stdout ---\n${this.lines.slice(-10).map((l) => l.raw).join('\n')}`));
      };
      const onLine = (line: LogLine) => {
        if (line.json?.msg !== 'listening') return;
        const port = Number(line.json.port);
        const adminPort = Number(line.json.adminPort);
        if (!Number.isInteger(port) || port <= 0) return fail(`printed a listening line without a port: ${line.raw}`);
        this.port = port;
        this.adminPort = Number.isInteger(adminPort) && adminPort > 0 ? adminPort : 0;
        this.listening = true;
        cleanup();
        // Lines that are not kept are drained as raw chunks: splitting a busy server's log into lines
        // cost the load generator's CPU, and a reader that fell behind let the service's stdout queue
        // grow (Node queues pipe writes in memory without bound).
        if (!this.captureLogs) {
          lines.close();
          child.stdout!.on('data', () => undefined).resume();
        }
        resolve();
      };
      const onExit = (exit: Exit) => fail(`exited before listening (code ${exit.code}, signal ${exit.signal})`);
      const timer = setTimeout(() => fail(`printed no listening line within ${readyTimeoutMs} ms`), readyTimeoutMs);
      this.events.on('line', onLine);
      this.events.on('exit', onExit);
    });
  }

  private onLine(raw: string): void {
    if (this.listening && !this.captureLogs) return;
    const line: LogLine = { raw };
    if (raw.startsWith('{')) {
      try {
        const parsed: unknown = JSON.parse(raw);
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) line.json = parsed as Record<string, unknown>;
      } catch {
        // not JSON: kept raw
      }
    }
    this.lines.push(line);
    if (this.lines.length > MAX_LINES_KEPT) this.lines.splice(0, this.lines.length - MAX_LINES_KEPT);
    this.events.emit('line', line);
  }

  get running(): boolean {
    return this.child !== undefined && this.exit === undefined;
  }

  /** Sends a signal to the process group and waits (bounded) for the exit, escalating to SIGKILL. */
  async stop(signal: NodeJS.Signals, timeoutMs: number): Promise<Exit> {
    if (!this.running) return this.exit ?? { code: null, signal: null };
    killGroup(this.child, signal);
    const exit = await withTimeout(this.exited, timeoutMs);
    if (exit) {
      killGroup(this.child, 'SIGKILL'); // anything the service spawned
      return exit;
    }
    killGroup(this.child, 'SIGKILL');
    return (await withTimeout(this.exited, 5_000)) ?? { code: null, signal: 'SIGKILL' };
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export class Shop {
  /** Base URL of each started service, like http://127.0.0.1:41234. */
  readonly urls: Record<string, string> = {};
  /** Base URL of each started service's admin API. */
  readonly adminUrls: Record<string, string> = {};

  constructor(
    private readonly procs: Map<string, ServiceProcess>,
    private readonly readyTimeoutMs: number,
    private readonly stopTimeoutMs: number,
    /** DATA_DIR of the stateful services: it outlives restarts and is removed by stop() when the harness made it. */
    readonly dataDir = '',
    private readonly ownsDataDir = false,
  ) {
    for (const p of procs.values()) this.record(p);
  }

  get names(): string[] {
    return [...this.procs.keys()];
  }

  private proc(name: string): ServiceProcess {
    const p = this.procs.get(name);
    if (!p) throw new Error(`service "${name}" was not started by this harness (started: ${this.names.join(', ')})`);
    return p;
  }

  private record(p: ServiceProcess): void {
    this.urls[p.name] = `http://127.0.0.1:${p.port}`;
    if (p.adminPort) this.adminUrls[p.name] = `http://127.0.0.1:${p.adminPort}`;
  }

  /** Every stdout line the service printed (across restarts), parsed when JSON. */
  logs(name: string): readonly LogLine[] {
    return this.proc(name).lines;
  }

  /** The parsed JSON stdout lines of a service. */
  jsonLogs(name: string): Record<string, unknown>[] {
    return this.proc(name).lines.flatMap((l) => (l.json ? [l.json] : []));
  }

  /** The tail of what the service wrote to stderr. */
  stderr(name: string): string {
    return this.proc(name).stderr;
  }

  pid(name: string): number | undefined {
    return this.proc(name).child.pid;
  }

  isRunning(name: string): boolean {
    return this.proc(name).running;
  }

  /** Resolves when the current process of the service exits. */
  exited(name: string): Promise<Exit> {
    return this.proc(name).exited;
  }

  /** Sends a signal without waiting. */
  signal(name: string, signal: NodeJS.Signals): void {
    const p = this.proc(name);
    if (p.running && p.child.pid !== undefined) process.kill(p.child.pid, signal);
  }

  /** Stops one service (SIGTERM by default, SIGKILL after the stop bound) and waits for its exit. */
  kill(name: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit> {
    return this.proc(name).stop(signal, this.stopTimeoutMs);
  }

  /** Starts the service again on the same ports, so its callers' URLs stay valid. Stops it first if running. */
  async restart(name: string): Promise<void> {
    const p = this.proc(name);
    await p.stop('SIGTERM', this.stopTimeoutMs);
    await p.start({ port: p.port, adminPort: p.adminPort }, this.readyTimeoutMs);
    this.record(p);
  }

  /** Waits (bounded) for a stdout line of the service matching the predicate, including lines already printed. */
  waitForLog(name: string, predicate: (line: LogLine) => boolean, timeoutMs = 10_000): Promise<LogLine> {
    const p = this.proc(name);
    const seen = p.lines.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const onLine = (line: LogLine) => {
        if (!predicate(line)) return;
        clearTimeout(timer);
        p.events.off('line', onLine);
        resolve(line);
      };
      const timer = setTimeout(() => {
        p.events.off('line', onLine);
        reject(new Error(`${name} printed no matching log line within ${timeoutMs} ms`));
      }, timeoutMs);
      p.events.on('line', onLine);
    });
  }

  /** Stops every service: SIGTERM, then SIGKILL after the bound. Safe to call twice. */
  async stop(): Promise<void> {
    await Promise.all([...this.procs.values()].map((p) => p.stop('SIGTERM', this.stopTimeoutMs)));
    if (this.ownsDataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

/** This process's environment without the service settings (ports, URLs, switches) a developer may have exported. */
export function baseEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !INHERITED_SETTINGS.includes(k) && !k.endsWith('_URL')) env[k] = v;
  }
  return env;
}

export interface StartProcessOptions {
  command: string;
  args: readonly string[];
  /** The whole environment of the process; PORT and ADMIN_PORT are set from `port`/`adminPort` (default 0). */
  env: Record<string, string>;
  port?: number;
  adminPort?: number;
  readyTimeoutMs?: number;
  /** Keep and parse stdout lines after the listening line (default true). */
  captureLogs?: boolean;
}

/** Starts any process that follows the listening-line contract (the benchmark's baseline server, a compiled bundle). */
export async function startProcess(name: string, options: StartProcessOptions): Promise<ServiceProcess> {
  installExitHook();
  const p = new ServiceProcess(name, options.command, options.args, options.env);
  p.captureLogs = options.captureLogs ?? true;
  try {
    await p.start({ port: options.port ?? 0, adminPort: options.adminPort ?? 0 }, options.readyTimeoutMs ?? 30_000);
  } catch (err) {
    await p.stop('SIGKILL', 2_000);
    throw err;
  }
  return p;
}

/** Starts the services leaf-first (callers after the services they call) and waits until each is listening. */
export async function startShop(options: StartShopOptions = {}): Promise<Shop> {
  installExitHook();
  const discovered = listServices(options.servicesDir ?? path.join(repoRoot, 'services'));
  const known = new Map(discovered.map((s) => [s.name, s]));
  const names = options.services ?? discovered.map((s) => s.name);
  for (const name of names) if (!known.has(name)) throw new Error(`unknown service "${name}" (known: ${[...known.keys()].join(', ')})`);

  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 5_000;
  const procs = new Map<string, ServiceProcess>();
  const baseEnv = baseEnvironment();
  // Each shop keeps its state in its own directory, so tests never share or leave data behind.
  const givenDataDir = options.env?.DATA_DIR ?? options.serviceEnv?.orders?.DATA_DIR;
  const dataDir = givenDataDir ?? mkdtempSync(path.join(tmpdir(), 'shopmesh-data-'));
  const ownsDataDir = givenDataDir === undefined;
  try {
    for (const wave of startWaves(names)) {
      await Promise.all(
        wave.map(async (name) => {
          const upstreamEnv: Record<string, string> = {};
          for (const s of discovered) upstreamEnv[urlVariable(s.name)] = UNSTARTED_UPSTREAM_URL;
          for (const u of upstreamsOf(name)) {
            const started = procs.get(u);
            if (started) upstreamEnv[urlVariable(u)] = `http://127.0.0.1:${started.port}`;
          }
          const env = {
            ...baseEnv,
            NODE_ENV: 'development',
            HOST: '127.0.0.1',
            POD_NAME: `${name}-test`,
            DATA_DIR: dataDir,
            ...upstreamEnv,
            ...options.env,
            ...options.serviceEnv?.[name],
          };
          const p = new ServiceProcess(name, process.execPath, ['--import', 'tsx', path.join(known.get(name)!.dir, 'src', 'main.ts')], env);
          procs.set(name, p);
          await p.start({ port: 0, adminPort: 0 }, readyTimeoutMs);
        }),
      );
    }
  } catch (err) {
    await Promise.all([...procs.values()].map((p) => p.stop('SIGTERM', stopTimeoutMs)));
    if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  return new Shop(procs, readyTimeoutMs, stopTimeoutMs, dataDir, ownsDataDir);
}
