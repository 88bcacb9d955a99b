// The live-reload benchmark for `npm run dev`: in a temporary copy of the repository (so no real
// source file is ever touched), runs the dev runner for one service, then edits a string that the
// service answers with and times each save until the new string is served.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_PORT_BASE } from '../dev/plan.ts';
import { listServices } from '../services.ts';
import { repoRoot } from '../versions.ts';

export interface ReloadTarget {
  /** File (relative to the service's src) whose literal is edited. */
  file: string;
  /** The literal as it appears in the source, quotes included. */
  literal: string;
}

/** Finds a non-test source file of the service that holds the quoted literal. */
export function findLiteral(srcDir: string, text: string): ReloadTarget | undefined {
  const files = readdirSync(srcDir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.tsx?$/.test(f) && !f.endsWith('.test.ts') && !f.endsWith('.test.tsx'))
    .sort();
  for (const file of files) {
    const source = readFileSync(path.join(srcDir, file), 'utf8');
    for (const quote of ["'", '"', '`']) {
      const literal = `${quote}${text}${quote}`;
      if (source.includes(literal)) return { file, literal };
    }
  }
  return undefined;
}

/** The source with the literal's text replaced by `replacement` (same quotes). */
export function editLiteral(source: string, target: ReloadTarget, replacement: string): string {
  const quote = target.literal[0]!;
  return source.split(target.literal).join(`${quote}${replacement}${quote}`);
}

/** Copies what `npm run dev` needs into a temp dir; node_modules is linked, not copied. */
export function makeWorkspaceCopy(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'shopmesh-reload-'));
  for (const entry of ['services', 'scripts', 'package.json', 'tsconfig.json', 'versions.yaml']) {
    cpSync(path.join(repoRoot, entry), path.join(dir, entry), { recursive: true, filter: (src) => !src.includes(`${path.sep}node_modules`) });
  }
  symlinkSync(path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: 2_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve({ status: 0, body: '' }));
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.on('timeout', () => req.destroy());
  });
}

/** Polls the URL (bounded) until the body contains `needle`; resolves with the time it took, or NaN. */
async function waitForBody(url: string, needle: string, timeoutMs: number, since: number): Promise<number> {
  const deadline = since + timeoutMs;
  while (performance.now() < deadline) {
    const res = await get(url);
    if (res.status === 200 && res.body.includes(needle)) return performance.now() - since;
    await sleep(5);
  }
  return Number.NaN;
}

export interface ReloadOptions {
  service: string;
  /** A string the service answers with at `path`, found quoted in its source. */
  text: string;
  path: string;
  edits: number;
  log: (line: string) => void;
  /** Called with a cleanup function, so the entry file can run it on Ctrl-C. */
  onCleanup?: (cleanup: () => void) => void;
}

export async function runReloadBench(options: ReloadOptions): Promise<number[]> {
  const { log } = options;
  const dir = makeWorkspaceCopy();
  let dev: ChildProcess | undefined;
  const cleanup = () => {
    if (dev?.pid !== undefined) {
      try {
        process.kill(-dev.pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  options.onCleanup?.(cleanup);
  try {
    const srcDir = path.join(dir, 'services', options.service, 'src');
    const target = findLiteral(srcDir, options.text);
    if (!target) throw new Error(`no source file of ${options.service} holds the string "${options.text}" to edit`);
    const file = path.join(srcDir, target.file);
    const original = readFileSync(file, 'utf8');

    // A random port block, so a developer's own `npm run dev` on 5000–5105 is left alone.
    const base = 20_000 + Math.floor(Math.random() * 20_000);
    const info = listServices(path.join(dir, 'services')).find((s) => s.name === options.service);
    if (!info) throw new Error(`no service "${options.service}" (a folder under services/ with src/main.ts)`);
    const url = `http://127.0.0.1:${info.devPort - DEFAULT_PORT_BASE + base}${options.path}`;
    log(`starting npm run dev -- --only ${options.service} --port-base ${base} in a temp copy (${dir})…`);
    dev = spawn(process.execPath, ['--import', 'tsx', 'scripts/dev.ts', '--only', options.service, '--port-base', String(base)], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    const ready = new Promise<void>((resolve, reject) => {
      createInterface({ input: dev!.stdout! }).on('line', (line) => {
        output = `${output}${line}\n`.slice(-8_000);
        if (line.includes('all services are listening')) resolve();
      });
      dev!.stderr!.on('data', (c: Buffer) => (output = `${output}${c.toString()}`.slice(-8_000)));
      dev!.once('exit', (code) => reject(new Error(`npm run dev exited (code ${code}) before the service listened:\n${output}`)));
      setTimeout(() => reject(new Error(`npm run dev was not ready within 60 s:\n${output}`)), 60_000).unref();
    });
    await ready;
    if (Number.isNaN(await waitForBody(url, options.text, 10_000, performance.now()))) throw new Error(`${url} does not answer with "${options.text}"`);

    const times: number[] = [];
    for (let i = 1; i <= options.edits; i++) {
      const marker = `${options.text} (edit ${i})`;
      const saved = performance.now();
      writeFileSync(file, editLiteral(original, target, marker));
      const ms = await waitForBody(url, marker, 30_000, saved);
      log(`edit ${i}: ${Number.isNaN(ms) ? 'not served within 30 s' : `${ms.toFixed(0)} ms`}`);
      times.push(ms);
      await sleep(300);
    }
    return times;
  } finally {
    if (dev?.pid !== undefined && dev.exitCode === null) {
      const exited = new Promise((resolve) => dev!.once('exit', resolve));
      try {
        process.kill(dev.pid, 'SIGTERM');
      } catch {
        // gone already
      }
      await Promise.race([exited, sleep(10_000)]);
    }
    cleanup();
  }
}
