// What the Tiltfile loops over, printed as JSON for Starlark's decode_json: the services (folders
// under services/ with src/main.ts, with their dev ports) and the scenarios (overlays under
// overlays/ with a kustomization, except the shared components). Run by the Tiltfile through
// `local()`; a module with a side effect only when it is the entry point.
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { listServices } from '../services.ts';

export interface TiltInventory {
  services: { name: string; devPort: number; devAdminPort: number }[];
  scenarios: string[];
}

/** Folders under overlays/ that are not reusable components. */
export const NOT_SCENARIOS = new Set(['components']);

export function listScenarios(overlaysDir: string): string[] {
  if (!existsSync(overlaysDir)) return [];
  return readdirSync(overlaysDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !NOT_SCENARIOS.has(d.name) && existsSync(path.join(overlaysDir, d.name, 'kustomization.yaml')))
    .map((d) => d.name)
    .sort();
}

export function tiltInventory(root: string): TiltInventory {
  return {
    services: listServices(path.join(root, 'services')).map(({ name, devPort, devAdminPort }) => ({ name, devPort, devAdminPort })),
    scenarios: listScenarios(path.join(root, 'overlays')),
  };
}

// realpath: the entry may be reached through a symlinked folder (the Tiltfile tests do that).
if (process.argv[1] && realpathSync(path.resolve(process.argv[1])) === realpathSync(fileURLToPath(import.meta.url))) {
  process.stdout.write(`${JSON.stringify(tiltInventory(process.cwd()))}\n`);
}
