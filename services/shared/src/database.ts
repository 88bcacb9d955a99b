// The embedded store of the stateful services: one node:sqlite file per service under DATA_DIR
// (`.data/` in dev, a PersistentVolumeClaim in the cluster). WAL with synchronous=FULL: a commit is
// on disk before the answer leaves, so SIGKILL or a node restart loses nothing that was answered.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { stringSetting, type Setting } from './config.ts';

export type Database = DatabaseSync;

/** `DATA_DIR`: where the service keeps its file; `:memory:` keeps nothing (unit tests). */
export function dataDirSetting(): Setting<string> {
  return stringSetting('DATA_DIR', '.data');
}

export const IN_MEMORY = ':memory:';

/** The file a service keeps its state in. */
export function databaseFile(dataDir: string, service: string): string {
  return dataDir === IN_MEMORY ? IN_MEMORY : path.resolve(dataDir, `${service}.sqlite`);
}

/**
 * Opens (creating when absent) the service's database and applies `schema`, which must be
 * idempotent (`CREATE TABLE IF NOT EXISTS …`).
 */
export function openDatabase(file: string, schema: string): Database {
  if (file !== IN_MEMORY) mkdirSync(path.dirname(file), { recursive: true });
  const db = new DatabaseSync(file);
  db.exec('PRAGMA busy_timeout = 5000');
  if (file !== IN_MEMORY) db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = FULL');
  db.exec(schema);
  return db;
}

/** Runs `work` in one write transaction (BEGIN IMMEDIATE): all of it commits, or none. Inside an open transaction it joins it. */
export function transaction<T>(db: Database, work: () => T): T {
  if (db.isTransaction) return work();
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}
