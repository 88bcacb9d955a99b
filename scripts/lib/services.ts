// Service discovery: a folder under services/ with src/main.ts is a service. The dev runner, the
// image build, the Tiltfile checks and the manifest checks all use this one list.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './versions.ts';
import { DEV_PORTS as SERVICE_DEV_PORTS } from '../../services/shared/src/config.ts';

export interface ServiceInfo {
  name: string;
  dir: string;
  devPort: number;
  devAdminPort: number;
}

// Dev ports are fixed per service so the reference walkthrough's URLs stay true; the services
// default to the same table, so it lives with their config.
const DEV_PORTS: Readonly<Record<string, number>> = SERVICE_DEV_PORTS;
const ADMIN_PORT_OFFSET = 100;
/** A service added later without a fixed port gets one from this range, in name order. */
const FIRST_FREE_DEV_PORT = 5010;

export function listServices(servicesDir = path.join(repoRoot, 'services')): ServiceInfo[] {
  const names = readdirSync(servicesDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(servicesDir, d.name, 'src', 'main.ts')))
    .map((d) => d.name)
    .sort();
  let next = FIRST_FREE_DEV_PORT;
  return names.map((name) => {
    const devPort = DEV_PORTS[name] ?? next++;
    return { name, dir: path.join(servicesDir, name), devPort, devAdminPort: devPort + ADMIN_PORT_OFFSET };
  });
}
