// Imported first by every script entry file, before anything that could fail on an old Node: on a
// Node older than the project's, the script stops with one line that says what to install, instead
// of a stack trace from deep inside a dependency or a half-run test suite.
import { readFileSync } from 'node:fs';

export const MINIMUM_NODE_MAJOR = 22;

/** The problem with running on `version` (process.versions.node), or undefined when it is fine. */
export function nodeVersionProblem(version: string, recommended: string): string | undefined {
  const major = Number(version.split('.')[0]);
  if (Number.isInteger(major) && major >= MINIMUM_NODE_MAJOR) return undefined;
  return `shopmesh needs Node ${MINIMUM_NODE_MAJOR} or newer (Node ${recommended} is the tested one), and this is Node ${version}: install Node 24 LTS (for example \`nvm install\`, which reads .nvmrc) and run the command again.`;
}

function recommendedNode(): string {
  try {
    return /^node:\s*(\S+)/m.exec(readFileSync(new URL('../../versions.yaml', import.meta.url), 'utf8'))?.[1] ?? '24';
  } catch {
    return '24';
  }
}

const problem = nodeVersionProblem(process.versions.node, recommendedNode());
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}
