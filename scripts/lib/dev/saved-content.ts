// What a dev process was launched from, by content, so that a save which leaves the bytes as they
// were (an editor saving an unchanged file, a git checkout rewriting identical content, a duplicate
// watch event) restarts nothing. When in doubt it says "changed": a needless restart costs a second,
// a missed one serves old code.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { foldersUnder, sourceFilesIn } from './watch.ts';

const MISSING = 'missing';

/** sha1 of the file's bytes, or "missing". */
export function contentFingerprint(file: string): string {
  try {
    return createHash('sha1').update(readFileSync(file)).digest('hex');
  } catch {
    return MISSING;
  }
}

/** Changes with every write, rename over or touch of the file (ctime has nanoseconds). */
function writeStamp(file: string): string {
  const st = statSync(file, { bigint: true, throwIfNoEntry: false });
  return st ? `${st.ino}:${st.size}:${st.ctimeNs}` : MISSING;
}

/** The source files a watch of these folders reports (absolute paths). */
export function sourceFilesUnder(dirs: readonly string[]): string[] {
  return dirs.flatMap((root) => [...foldersUnder(root).keys()].flatMap(sourceFilesIn));
}

/**
 * Taken just before a process is spawned: the process reads its files after this moment, so it
 * runs at least this content. A file written again before the process has finished reading
 * (it printed its listening line) may have been read half-way, so it no longer counts as known.
 */
export class LaunchedContent {
  private readonly known = new Map<string, { content: string; stamp: string }>();
  private loaded = false;

  constructor(files: Iterable<string>) {
    for (const file of files) this.known.set(file, { stamp: writeStamp(file), content: contentFingerprint(file) });
  }

  /** The process has read its files. */
  markLoaded(): void {
    if (this.loaded) return;
    this.loaded = true;
    for (const [file, k] of this.known) {
      if (writeStamp(file) !== k.stamp || contentFingerprint(file) !== k.content) this.known.delete(file);
    }
  }

  /** Of these saved files, the ones whose content may differ from what the process runs. */
  differing(files: readonly string[]): string[] {
    return files.filter((file) => {
      const k = this.known.get(file);
      if (!k || contentFingerprint(file) !== k.content) return true;
      // Same bytes, but written while the process may still be reading: it could have read it mid-write.
      return !this.loaded && writeStamp(file) !== k.stamp;
    });
  }
}
