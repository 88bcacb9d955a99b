// Folders a test file makes under the system temp folder, removed when its process exits, whether its
// tests passed or not. (Test files used to leave theirs behind: twenty per run of the tools tests.)
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const made: string[] = [];

function removeAll(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A new, empty folder under the temp folder whose name starts with `prefix`; removed at process exit. */
export function tempDir(prefix: string): string {
  if (made.length === 0) process.once('exit', removeAll);
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}
