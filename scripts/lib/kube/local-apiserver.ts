// A real Kubernetes API server on loopback: etcd and kube-apiserver from .bin/, started with free
// ports and a temp folder, admission left at its defaults (so Pod Security judges Pods in labelled
// namespaces), the given CRDs installed and Established. The tests and `npm run check` use it;
// there is no controller-manager or scheduler, so nothing reconciles what is written.
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { closeSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import YAML from 'yaml';
import { FixableError } from '../cli.ts';
import { repoRoot } from '../versions.ts';

export interface LocalApiServerOptions {
  /** Where etcd and kube-apiserver are (default: the project's .bin/). */
  binDir?: string;
  /** Kube contexts the kubeconfig offers, all pointing at this server (default: k3d-shopmesh). */
  contexts?: string[];
  /** The kubeconfig's current context (default: the first of `contexts`). */
  currentContext?: string;
  /** Multi-document YAML files whose CustomResourceDefinitions are installed before start returns. */
  crdFiles?: string[];
  /**
   * An etcd data folder saved by `stop({ saveEtcdTo })` of a server that had these CRDs: it is copied
   * in, so the CRDs are there from the start (several seconds sooner than installing them). CRDs of
   * `crdFiles` it lacks are still installed.
   */
  etcdSeed?: string;
  /** Keep an audit log of the requests made with the kubeconfig's credentials (see auditEvents). */
  audit?: boolean;
  /** Progress lines (start-up timings); nothing is printed otherwise. */
  log?: (line: string) => void;
  /** How long to wait for /readyz and for the CRDs (default 60 s). */
  timeoutMs?: number;
}

export interface AuditEvent {
  verb: string;
  requestURI: string;
  user: { username: string };
  objectRef?: { resource?: string; namespace?: string; name?: string; apiGroup?: string; apiVersion?: string; subresource?: string };
  responseStatus?: { code?: number };
}

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
}

export interface LocalApiServer {
  /** https://127.0.0.1:<port> */
  readonly url: string;
  /** A kubeconfig with the requested contexts (token auth, the server's own CA). */
  readonly kubeconfig: string;
  /** The temp folder with etcd's data, the certificates and the logs; removed by stop(). */
  readonly dir: string;
  /** Milliseconds from spawning etcd to /readyz answering ok, and to the CRDs being Established. */
  readonly timings: { readyMs: number; crdsMs: number };
  /** Writes another kubeconfig for this server with other context names. */
  writeKubeconfig(contexts: string[], current?: string, file?: string): string;
  /** One HTTP request with the kubeconfig's credentials; JSON in, JSON (or text) out. */
  request<T = any>(method: string, apiPath: string, body?: unknown, contentType?: string): Promise<ApiResponse<T>>;
  /** The audited requests so far (only with `audit: true`); the last one may lag its response by a moment. */
  auditEvents(): AuditEvent[];
  /** Kills etcd and kube-apiserver and removes the temp folder; `saveEtcdTo` keeps etcd's data there first (see etcdSeed). */
  stop(opts?: { saveEtcdTo?: string }): Promise<void>;
}

const USER = 'shopmesh-tester';

/** Asks the kernel for a free loopback port (released again, so the child can bind it). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function tail(file: string, lines = 20): string {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
}

/**
 * A shell that outlives this process by a moment: when this process ends without stop(), however it
 * ends (even SIGKILL), its end of the pipe closes, and the shell kills the servers and removes their
 * folder. stop() kills the watchdog first and cleans up itself.
 */
function watchdog(pids: number[], dir: string): ChildProcess {
  const dog = spawn('sh', ['-c', 'cat >/dev/null; kill -9 "$@" 2>/dev/null; rm -rf "$0"', dir, ...pids.map(String)], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
  dog.unref();
  (dog.stdin as unknown as { unref(): void }).unref();
  return dog;
}

// SIGKILL: both hold only throwaway state, and each takes a second or more to stop gracefully
// (the API server drains its watches, etcd its gRPC streams).
async function kill(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}

export async function startLocalApiServer(options: LocalApiServerOptions = {}): Promise<LocalApiServer> {
  // A free port is released before the child binds it, so another process may take it first: retry.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (err) {
      if (attempt >= 3 || !/address already in use/i.test((err as Error).message)) throw err;
    }
  }
}

async function startOnce(options: LocalApiServerOptions): Promise<LocalApiServer> {
  const binDir = options.binDir ?? path.join(repoRoot, '.bin');
  for (const bin of ['etcd', 'kube-apiserver']) {
    if (!existsSync(path.join(binDir, bin))) throw new FixableError(`${bin} is not in ${binDir}`, 'run `npm run tools` (it builds etcd and kube-apiserver from their Go modules)');
  }
  const timeoutMs = options.timeoutMs ?? 60_000;
  const log = options.log ?? (() => {});
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shopmesh-apiserver-'));
  const started = Date.now();
  let etcd: ChildProcess | undefined;
  let apiserver: ChildProcess | undefined;
  let dog: ChildProcess | undefined;
  const stopAll = async () => {
    await kill(dog);
    await Promise.all([kill(apiserver), kill(etcd)]);
  };

  try {
    // Credentials: a static token for a member of system:masters (allowed everything under RBAC),
    // and the service-account signing key the API server requires.
    const token = randomBytes(24).toString('hex');
    writeFileSync(path.join(dir, 'tokens.csv'), `${token},${USER},${USER},system:masters\n`, { mode: 0o600 });
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1', privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    writeFileSync(path.join(dir, 'sa.key'), privateKey, { mode: 0o600 });
    writeFileSync(path.join(dir, 'sa.pub'), publicKey);
    const auditLog = path.join(dir, 'audit.log');
    if (options.audit) {
      writeFileSync(
        path.join(dir, 'audit-policy.yaml'),
        YAML.stringify({ apiVersion: 'audit.k8s.io/v1', kind: 'Policy', omitStages: ['RequestReceived'], rules: [{ level: 'Metadata', users: [USER] }, { level: 'None' }] }),
      );
    }

    const [clientPort, peerPort, securePort] = [await freePort(), await freePort(), await freePort()];
    const etcdLog = path.join(dir, 'etcd.log');
    const apiserverLog = path.join(dir, 'kube-apiserver.log');
    // Each child writes its log straight into the temp folder; it is shown only when a start fails.
    const spawnLogged = (bin: string, args: string[], logFile: string) => {
      const fd = openSync(logFile, 'a');
      try {
        const child = spawn(path.join(binDir, bin), args, { stdio: ['ignore', fd, fd] });
        return child;
      } finally {
        closeSync(fd);
      }
    };

    // etcd keeps the next WAL segment preallocated (*.tmp, 64 MB of zeros); it makes a new one itself.
    const etcdData = path.join(dir, 'etcd');
    if (options.etcdSeed) cpSync(options.etcdSeed, etcdData, { recursive: true, filter: (src) => !src.endsWith('.tmp') });

    const etcdUrl = `http://127.0.0.1:${clientPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    etcd = spawnLogged(
      'etcd',
      [
        '--name', 'local', '--data-dir', etcdData,
        '--listen-client-urls', etcdUrl, '--advertise-client-urls', etcdUrl,
        '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl, '--initial-cluster', `local=${peerUrl}`,
        // Throwaway data: no fsync makes writes (CRDs, bootstrap objects) several times faster.
        '--unsafe-no-fsync', '--log-level', 'warn',
      ],
      etcdLog,
    );

    const certDir = path.join(dir, 'certs');
    mkdirSync(certDir);
    apiserver = spawnLogged(
      'kube-apiserver',
      [
        '--etcd-servers', etcdUrl,
        '--bind-address', '127.0.0.1', '--advertise-address', '127.0.0.1', '--secure-port', String(securePort),
        // It writes a self-signed serving certificate for 127.0.0.1 here; the kubeconfig trusts it.
        '--cert-dir', certDir,
        '--token-auth-file', path.join(dir, 'tokens.csv'),
        '--authorization-mode', 'RBAC',
        '--service-account-issuer', 'https://kubernetes.default.svc.cluster.local',
        '--service-account-key-file', path.join(dir, 'sa.pub'),
        '--service-account-signing-key-file', path.join(dir, 'sa.key'),
        '--service-cluster-ip-range', '10.0.0.0/24',
        // As in the clusters the sandbox runs on, so Pod Security (not this flag) judges privileged pods.
        '--allow-privileged=true',
        // The `kubernetes` Service's endpoint cannot be a loopback address, and nothing here needs it.
        '--endpoint-reconciler-type', 'none',
        ...(options.audit ? ['--audit-policy-file', path.join(dir, 'audit-policy.yaml'), '--audit-log-path', auditLog] : []),
      ],
      apiserverLog,
    );
    dog = watchdog([etcd.pid, apiserver.pid].filter((p): p is number => p !== undefined), dir);

    const url = `https://127.0.0.1:${securePort}`;
    const caFile = path.join(certDir, 'apiserver.crt');
    let ca: Buffer | undefined;
    const request = <T = any>(method: string, apiPath: string, body?: unknown, contentType = 'application/json'): Promise<ApiResponse<T>> =>
      new Promise((resolve, reject) => {
        const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
        const req = https.request(
          `${url}${apiPath}`,
          {
            method,
            ca: ca ?? readFileSync(caFile),
            headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(payload !== undefined ? { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) } : {}) },
            timeout: 30_000,
          },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (text += c));
            res.on('end', () => {
              let parsed: unknown = text;
              try {
                parsed = JSON.parse(text);
              } catch {
                /* /readyz and friends answer text */
              }
              resolve({ status: res.statusCode ?? 0, body: parsed as T });
            });
          },
        );
        req.on('timeout', () => req.destroy(new Error(`${method} ${apiPath}: timed out`)));
        req.on('error', reject);
        req.end(payload);
      });

    // Ready: the serving certificate exists and /readyz says ok (etcd up, bootstrap done).
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const [name, child, logFile] of [['etcd', etcd!, etcdLog], ['kube-apiserver', apiserver!, apiserverLog]] as const) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) while starting:\n${tail(logFile)}`);
      }
      // Re-read until ready: the first read may catch the certificate half written.
      if (existsSync(caFile)) ca = readFileSync(caFile);
      if (ca) {
        const r = await request('GET', '/readyz').catch(() => undefined);
        if (r?.status === 200) break;
      }
      if (Date.now() > deadline) throw new Error(`kube-apiserver was not ready within ${timeoutMs / 1000}s:\n${tail(apiserverLog)}`);
      await sleep(100);
    }
    const readyMs = Date.now() - started;
    log(`kube-apiserver ready at ${url} after ${readyMs} ms`);

    const crds = (options.crdFiles ?? []).flatMap((file) =>
      YAML.parseAllDocuments(readFileSync(file, 'utf8'))
        .map((d) => d.toJS() as { kind?: string; metadata?: { name?: string } } | null)
        .filter((o): o is { kind: string; metadata: { name: string } } => o?.kind === 'CustomResourceDefinition' && Boolean(o.metadata?.name)),
    );
    await installCrds(request, crds, deadline);
    const crdsMs = Date.now() - started;
    if (crds.length) log(`${crds.length} CRDs Established after ${crdsMs} ms`);

    const writeKubeconfig = (contexts: string[], current = contexts[0], file = path.join(mkdtempSync(path.join(dir, 'kubeconfig-')), 'config')): string => {
      writeFileSync(
        file,
        YAML.stringify({
          apiVersion: 'v1',
          kind: 'Config',
          'current-context': current,
          clusters: contexts.map((name) => ({ name, cluster: { server: url, 'certificate-authority-data': ca!.toString('base64') } })),
          users: contexts.map((name) => ({ name, user: { token } })),
          contexts: contexts.map((name) => ({ name, context: { cluster: name, user: name } })),
        }),
        { mode: 0o600 },
      );
      return file;
    };
    const contexts = options.contexts ?? ['k3d-shopmesh'];
    const kubeconfig = writeKubeconfig(contexts, options.currentContext ?? contexts[0], path.join(dir, 'kubeconfig'));

    let stopped = false;
    return {
      url,
      kubeconfig,
      dir,
      timings: { readyMs, crdsMs },
      writeKubeconfig,
      request,
      auditEvents: () => {
        if (!options.audit || !existsSync(auditLog)) return [];
        return readFileSync(auditLog, 'utf8')
          .split('\n')
          .filter(Boolean)
          .flatMap((line) => {
            try {
              return [JSON.parse(line) as AuditEvent];
            } catch {
              return []; // a line being written right now
            }
          });
      },
      stop: async (opts = {}) => {
        if (stopped) return;
        stopped = true;
        await stopAll();
        if (opts.saveEtcdTo) {
          rmSync(opts.saveEtcdTo, { recursive: true, force: true });
          cpSync(etcdData, opts.saveEtcdTo, { recursive: true, filter: (src) => !src.endsWith('.tmp') });
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

type Request = LocalApiServer['request'];

/** Server-side applies each CRD the server does not have yet (a few at a time), then waits until all are Established. */
async function installCrds(request: Request, crds: Array<{ metadata: { name: string } }>, deadline: number): Promise<void> {
  if (!crds.length) return;
  type CrdList = { items: Array<{ metadata: { name: string }; status?: { conditions?: Array<{ type: string; status: string }> } }> };
  const list = async () => {
    const r = await request<CrdList>('GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions');
    if (r.status !== 200) throw new Error(`listing CRDs failed (${r.status})`);
    return r.body.items;
  };
  const present = new Set((await list()).map((c) => c.metadata.name));
  const queue = crds.filter((c) => !present.has(c.metadata.name));
  const worker = async () => {
    for (let crd = queue.shift(); crd; crd = queue.shift()) {
      const r = await request('PATCH', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}?fieldManager=shopmesh-crds&force=true`, crd, 'application/apply-patch+yaml');
      if (r.status >= 300) throw new Error(`installing CRD ${crd.metadata.name} failed (${r.status}): ${(r.body as { message?: string }).message ?? JSON.stringify(r.body)}`);
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  const wanted = new Set(crds.map((c) => c.metadata.name));
  for (;;) {
    const items = await list();
    const pending = [...wanted].filter((name) => !items.some((c) => c.metadata.name === name && c.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True')));
    if (!pending.length) return;
    if (Date.now() > deadline) throw new Error(`CRDs not Established in time: ${pending.join(', ')}`);
    await sleep(100);
  }
}
