// Loads the kubeconfig and refuses any context that is not the sandbox's own.
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { FixableError } from '../cli.ts';
import { assertSandboxContext, type Provider } from './context.ts';

export interface SandboxKubeConfig {
  kc: KubeConfig;
  context: string;
  provider: Provider;
}

/**
 * Reads `opts.kubeconfig`, else $KUBECONFIG, else ~/.kube/config, selects `opts.context` (default: the
 * current context), and asserts the guard on it before anything can talk to a cluster.
 */
export function loadSandboxKubeConfig(opts: { kubeconfig?: string; context?: string } = {}): SandboxKubeConfig {
  const kc = new KubeConfig();
  if (opts.kubeconfig) {
    if (!existsSync(opts.kubeconfig)) throw new FixableError(`kubeconfig ${opts.kubeconfig} does not exist`, 'run `npm run up` to create the sandbox');
    kc.loadFromFile(opts.kubeconfig);
  } else {
    // With no file at all, client-node invents a context named "loaded-context"; say what is true instead.
    const files = defaultKubeconfigFiles();
    if (!files.some((f) => existsSync(f))) {
      throw new FixableError(`you have no kubeconfig yet (${files.join(', ')} ${files.length > 1 ? 'do' : 'does'} not exist), so there is no sandbox cluster to talk to`, 'run `npm run up` to create the sandbox (it writes its context)');
    }
    try {
      kc.loadFromDefault();
    } catch (err) {
      throw new FixableError(`cannot read your kubeconfig: ${(err as Error).message}`, 'run `npm run up` to create the sandbox (it writes its context), or check $KUBECONFIG');
    }
  }
  const context = opts.context ?? kc.getCurrentContext();
  const provider = assertSandboxContext(context);
  if (!kc.getContextObject(context)) {
    throw new FixableError(`kube context "${context}" is not in your kubeconfig`, 'run `npm run up` to create the sandbox cluster (it adds its context)');
  }
  kc.setCurrentContext(context);
  return { kc, context, provider };
}

/** The files client-node reads by default: $KUBECONFIG's list, else ~/.kube/config. */
export function defaultKubeconfigFiles(): string[] {
  const fromEnv = (process.env.KUBECONFIG ?? '').split(path.delimiter).filter(Boolean);
  return fromEnv.length ? fromEnv : [path.join(os.homedir(), '.kube', 'config')];
}

/** Like loadSandboxKubeConfig, but returns undefined when the context does not exist yet (dry-run plans before a cluster exists). */
export function tryLoadSandboxKubeConfig(opts: { kubeconfig?: string; context?: string } = {}): SandboxKubeConfig | undefined {
  if (opts.context) assertSandboxContext(opts.context);
  try {
    return loadSandboxKubeConfig(opts);
  } catch (err) {
    if (err instanceof FixableError && /is not in your kubeconfig|does not exist|cannot read your kubeconfig|no kubeconfig yet/.test(err.message)) return undefined;
    throw err;
  }
}
