// Source watching for `npm run dev`. It watches folders, one watch per folder, never files: on
// Linux a watch on a file follows its inode, which an editor's atomic save (write a temporary file,
// rename it over) or a git checkout replaces, after which that file's later saves go unseen. This
// is what happens to node --watch, and to fs.watch({ recursive: true }), which on Linux also
// watches each file. A folder's watch reports every later save of every file in it, however the
// file was written.
import { readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';

/** Source files a service loads: TypeScript/JavaScript modules and JSON, not tests. */
export function isSourceFile(relative: string): boolean {
  const base = path.basename(relative);
  // Dotfiles and `~` backups are editors' temporaries and swap files (.main.ts.swp, main.ts~).
  if (base.startsWith('.') || base.endsWith('~')) return false;
  if (relative.split(/[\\/]/).some((part) => part === 'node_modules')) return false;
  if (/\.test\.[cm]?[jt]sx?$/.test(base)) return false;
  return /\.([cm]?[jt]sx?|json)$/.test(base);
}

/** The source files directly in this folder (absolute paths); none when it is gone. */
export function sourceFilesIn(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isFile() && isSourceFile(e.name) ? [path.join(dir, e.name)] : []));
  } catch {
    return []; // removed while we looked
  }
}

export interface SourceWatcher {
  close(): void;
}

export interface WatchOptions {
  /** Folders to watch, with every folder below them. */
  dirs: readonly string[];
  /** Called once per burst of changes, with the changed source files (absolute paths). */
  onChange: (files: string[]) => void;
  /** Quiet time that ends a burst: a save is often several events (truncate, write, rename). */
  debounceMs?: number;
  onError?: (error: Error, dir: string) => void;
}

const MAX_DEPTH = 32;

/** The folder and every folder below it (not node_modules or hidden ones), with their inodes. */
export function foldersUnder(root: string): Map<string, number> {
  const found = new Map<string, number>();
  const visit = (dir: string, depth: number) => {
    let ino: number;
    try {
      ino = statSync(dir).ino;
    } catch {
      return; // removed while we looked
    }
    found.set(dir, ino);
    if (depth >= MAX_DEPTH) return;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory() && e.name !== 'node_modules' && !e.name.startsWith('.')) visit(path.join(dir, e.name), depth + 1);
    }
  };
  visit(root, 0);
  return found;
}

export function watchSources(options: WatchOptions): SourceWatcher {
  const debounceMs = options.debounceMs ?? 60;
  const pending = new Set<string>();
  const watched = new Map<string, { watcher: FSWatcher; ino: number }>();
  let timer: NodeJS.Timeout | undefined;
  let rescan = false;
  let closed = false;

  const flush = () => {
    timer = undefined;
    if (rescan) {
      rescan = false;
      sync(true);
    }
    const files = [...pending].sort();
    pending.clear();
    if (files.length > 0 && !closed) options.onChange(files);
  };
  const schedule = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(flush, debounceMs);
  };

  const add = (dir: string, ino: number) => {
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, (event, name) => {
        // A file or folder appeared, went or was renamed: folders may have come or gone.
        if (event === 'rename') rescan = true;
        if (name && isSourceFile(name.toString())) pending.add(path.join(dir, name.toString()));
        if (event === 'rename' || pending.size > 0) schedule();
      });
    } catch (error) {
      options.onError?.(error as Error, dir);
      return;
    }
    // A watched folder that is removed ends its watch; the next rescan drops it.
    watcher.on('error', () => undefined);
    watched.set(dir, { watcher, ino });
  };

  /** Watches new folders, drops gone or replaced ones; a new folder's files count as changed. */
  const sync = (afterStart: boolean) => {
    const now = new Map<string, number>();
    for (const root of options.dirs) for (const [dir, ino] of foldersUnder(root)) now.set(dir, ino);
    for (const [dir, w] of watched) {
      if (now.get(dir) === w.ino) continue;
      w.watcher.close();
      watched.delete(dir);
    }
    for (const [dir, ino] of now) {
      if (watched.has(dir)) continue;
      add(dir, ino);
      // Files written into a new folder before its watch existed would otherwise go unseen.
      if (afterStart) for (const file of sourceFilesIn(dir)) pending.add(file);
    }
  };

  for (const root of options.dirs) {
    try {
      statSync(root);
    } catch (error) {
      options.onError?.(error as Error, root);
    }
  }
  sync(false);
  return {
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      for (const w of watched.values()) w.watcher.close();
      watched.clear();
    },
  };
}
