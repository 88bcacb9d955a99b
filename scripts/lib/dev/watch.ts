// Source watching for `npm run dev`. It watches folders, not files: a watch on a file follows its
// inode, which an editor's atomic save (write a temporary file, rename it over) or a git checkout
// replaces, after which node --watch never restarts that service again. A folder's watch sees
// every later save of every file in it, whichever way the file was written.
import { watch, type FSWatcher } from 'node:fs';
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

export interface SourceWatcher {
  close(): void;
}

export interface WatchOptions {
  /** Folders to watch, recursively. */
  dirs: readonly string[];
  /** Called once per burst of changes, with the changed source files (absolute paths). */
  onChange: (files: string[]) => void;
  /** Quiet time that ends a burst: a save is often several events (truncate, write, rename). */
  debounceMs?: number;
  onError?: (error: Error, dir: string) => void;
}

export function watchSources(options: WatchOptions): SourceWatcher {
  const debounceMs = options.debounceMs ?? 60;
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const watchers: FSWatcher[] = [];
  const flush = () => {
    timer = undefined;
    const files = [...pending].sort();
    pending.clear();
    if (files.length > 0) options.onChange(files);
  };
  for (const dir of options.dirs) {
    // Recursive folder watches: Node sets them up per folder on Linux and keeps up with new folders.
    const watcher = watch(dir, { recursive: true }, (_event, name) => {
      if (!name) return;
      const relative = name.toString();
      if (!isSourceFile(relative)) return;
      pending.add(path.join(dir, relative));
      if (timer) clearTimeout(timer);
      timer = setTimeout(flush, debounceMs);
    });
    watcher.on('error', (error) => options.onError?.(error, dir));
    watchers.push(watcher);
  }
  return {
    close() {
      if (timer) clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}
