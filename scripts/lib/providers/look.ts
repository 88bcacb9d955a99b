// What a provider does when its tool cannot look (no Docker daemon, no microk8s): a real run stops
// with the tool's own words, because "there is no cluster" would be a guess that `down` and `status`
// then report as fact. A dry run, which may plan for a machine without Docker yet, goes on with the
// stated assumption.
import { FixableError } from '../cli.ts';
import type { Runner } from '../plan.ts';

export function cannotLook<T>(runner: Runner, what: string, output: string, assumeInDryRun: T): T {
  const why = output.trim().split('\n').filter(Boolean).pop() ?? 'no output';
  if (runner.dryRun) {
    runner.note(`(${what} could not look: ${why}; the plan assumes nothing exists yet)`);
    return assumeInDryRun;
  }
  throw new FixableError(`${what} could not look, so shopmesh cannot tell what exists: ${why}`, 'is Docker running? `npm run doctor` checks everything the sandbox needs');
}
