// Schema rule: types, enums and required fields through the @kubernetes-models validators, and
// unknown (misspelled) fields through the packages' exact TypeScript interfaces: every object is
// written into a generated `satisfies` file that `tsc` type-checks, and each diagnostic is mapped
// back to the object and field path it points at.
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { objectRef, type KubeObject } from '../kube/render.ts';
import { repoRoot } from '../versions.ts';
import { FindingSink, joinPath } from './finding.ts';
import { findModel, type AjvError, type ModelRef } from './models.ts';

const run = promisify(execFile);

export interface SchemaBatch {
  sink: FindingSink;
  objects: KubeObject[];
}

type Segs = (string | number)[];

interface Emitted {
  lines: string[];
  /** For every line of the file: the object it belongs to and the field path, or null. */
  where: ({ obj: KubeObject; segs: Segs } | null)[];
}

/** Runs both schema passes over every batch; one `tsc` run covers all overlays. */
export async function checkSchemas(batches: SchemaBatch[]): Promise<void> {
  const typed: { sink: FindingSink; obj: KubeObject; model: ModelRef }[] = [];
  for (const { sink, objects } of batches) {
    for (const obj of objects) {
      const model = await findModel(String(obj.apiVersion), String(obj.kind));
      if (!model) {
        sink.error('schema/unknown-kind', obj, 'apiVersion', `"${obj.apiVersion}" kind "${obj.kind}" is not a kind known to Kubernetes, Istio, cert-manager or Gateway API (check the apiVersion and kind)`);
        continue;
      }
      runValidator(sink, obj, model);
      typed.push({ sink, obj, model });
    }
  }
  await typeCheck(typed);
}

function runValidator(sink: FindingSink, obj: KubeObject, model: ModelRef): void {
  try {
    model.validate(obj);
  } catch (err) {
    const errors = (err as { errors?: AjvError[] }).errors;
    if (!errors) throw err;
    for (const e of errors) {
      const segs = pointerToSegs(e.instancePath);
      if (e.keyword === 'required') {
        sink.error('schema/invalid', obj, joinPath([...segs, String(e.params.missingProperty)]), 'is required');
      } else if (e.keyword === 'enum') {
        sink.error('schema/invalid', obj, joinPath(segs), `must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`);
      } else {
        sink.error('schema/invalid', obj, joinPath(segs), e.message ?? e.keyword);
      }
    }
  }
}

function pointerToSegs(pointer: string): Segs {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

async function typeCheck(typed: { sink: FindingSink; obj: KubeObject; model: ModelRef }[]): Promise<void> {
  if (typed.length === 0) return;
  // Inside node_modules so that the generated file resolves the model packages like our code does.
  const base = path.join(repoRoot, 'node_modules', '.cache');
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(path.join(base, 'shopmesh-check-'));
  try {
    const bySink = new Map<FindingSink, typeof typed>();
    for (const t of typed) bySink.set(t.sink, [...(bySink.get(t.sink) ?? []), t]);
    const files = new Map<string, { sink: FindingSink; emitted: Emitted }>();
    let n = 0;
    for (const [sink, items] of bySink) {
      const file = `objects-${n++}.ts`;
      const emitted = emitFile(items);
      writeFileSync(path.join(dir, file), emitted.lines.join('\n'));
      files.set(file, { sink, emitted });
    }
    const tsconfig = {
      compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2023', noEmit: true, skipLibCheck: true, types: [] },
      files: [...files.keys()],
    };
    writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
    const output = await runTsc(path.join(dir, 'tsconfig.json'));
    for (const d of parseDiagnostics(output)) {
      const target = files.get(path.basename(d.file));
      const where = target?.emitted.where[d.line - 1];
      if (!target || !where) throw new Error(`tsc reported an error outside the generated objects: ${d.file}(${d.line}): ${d.message}`);
      report(target.sink, where.obj, where.segs, d.code, d.message);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function emitFile(items: { obj: KubeObject; model: ModelRef }[]): Emitted {
  const out: Emitted = { lines: [], where: [] };
  const aliases = new Map<string, string>();
  for (const { model } of items) {
    if (aliases.has(model.specifier)) continue;
    const alias = `T${aliases.size}`;
    aliases.set(model.specifier, alias);
    out.lines.push(`import type { ${model.interfaceName} as ${alias} } from ${JSON.stringify(model.specifier)};`);
    out.where.push(null);
  }
  items.forEach(({ obj, model }, i) => {
    emitValue(out, obj, `export const o${i} = `, obj, [], 0, ` satisfies ${aliases.get(model.specifier)!};`);
  });
  return out;
}

function emitValue(out: Emitted, obj: KubeObject, prefix: string, value: unknown, segs: Segs, depth: number, suffix: string): void {
  const pad = '  '.repeat(depth);
  const push = (text: string) => {
    out.lines.push(pad + text);
    out.where.push({ obj, segs });
  };
  if (Array.isArray(value)) {
    if (value.length === 0) return push(`${prefix}[]${suffix}`);
    push(`${prefix}[`);
    value.forEach((v, i) => emitValue(out, obj, '', v, [...segs, i], depth + 1, i < value.length - 1 ? ',' : ''));
    return push(`]${suffix}`);
  }
  if (value !== null && typeof value === 'object') {
    // A YAML null is dropped by the API server; the validators judge it, the type check skips it.
    const entries = Object.entries(value).filter(([, v]) => v !== null && v !== undefined);
    if (entries.length === 0) return push(`${prefix}{}${suffix}`);
    push(`${prefix}{`);
    entries.forEach(([k, v], i) => emitValue(out, obj, `${JSON.stringify(k)}: `, v, [...segs, k], depth + 1, i < entries.length - 1 ? ',' : ''));
    return push(`}${suffix}`);
  }
  push(`${prefix}${JSON.stringify(value)}${suffix}`);
}

async function runTsc(tsconfig: string): Promise<string> {
  const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    const { stdout } = await run(process.execPath, [tsc, '-p', tsconfig, '--pretty', 'false'], { maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; code?: number | string };
    // tsc exits 2 when it found errors; anything without diagnostics is a real failure.
    if (e.stdout && /error TS\d+/.test(e.stdout)) return e.stdout;
    throw new Error(`tsc failed while type-checking the rendered objects: ${(e.stderr || e.stdout || String(err)).trim()}`);
  }
}

interface Diagnostic {
  file: string;
  line: number;
  code: number;
  message: string;
}

export function parseDiagnostics(output: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const line of output.split('\n')) {
    const m = /^(.+?)\((\d+),(\d+)\): error TS(\d+): (.*)$/.exec(line);
    if (m) out.push({ file: m[1]!, line: Number(m[2]), code: Number(m[4]), message: m[5]! });
  }
  return out;
}

function report(sink: FindingSink, obj: KubeObject, segs: Segs, code: number, message: string): void {
  // Excess property in an object literal: the field is unknown to the kind's schema.
  if (code === 2353) {
    const field = /and '"?(.+?)"?' does not exist/.exec(message)?.[1];
    const at = field && segs[segs.length - 1] !== field ? [...segs, field] : segs;
    return addOnce(sink, obj, joinPath(at), 'schema/unknown-field', 'is not a field of this kind (misspelled? the API server would silently drop it)');
  }
  const missing = /^Property '"?(.+?)"?' is missing/.exec(message)?.[1];
  if (missing) return addOnce(sink, obj, joinPath([...segs, missing]), 'schema/invalid', 'is required');
  addOnce(sink, obj, joinPath(segs), 'schema/type', `has the wrong type: ${message}`);
}

/** The validators and the type check often see the same mistake; report each field once. */
function addOnce(sink: FindingSink, obj: KubeObject, path: string, rule: string, message: string): void {
  const ref = objectRef(obj);
  const seen = sink.findings.some((f) => f.path === path && f.object === ref && f.rule.startsWith('schema/'));
  if (!seen) sink.error(rule, obj, path, message);
}
