// Builds the production image of every service (or some), tagged by content, and pushes it to the
// sandbox's local registry. An image whose tag the registry already holds is not rebuilt.
import path from 'node:path';
import { FixableError } from '../cli.ts';
import type { Runner } from '../plan.ts';
import { listServices } from '../services.ts';
import { loadVersions, repoRoot, version } from '../versions.ts';
import { contentTag, DOCKERFILE, PRODUCTION_TARGET } from './tag.ts';

export interface BuildImagesOptions {
  /** Where the host pushes: `localhost:5050` for the k3d and kind registries. */
  pushRegistry: string;
  /** The same registry as the cluster's nodes pull from it (the refs returned use this). */
  clusterRegistry: string;
  /** Service names; all discovered services when absent. */
  services?: string[];
  /** Push after building (default true). Without a push, presence is checked in the local Docker image store. */
  push?: boolean;
  /** Repository root (tests point it at a fixture). */
  root?: string;
}

export const IMAGE_PREFIX = 'shopmesh';

export function imageRepository(service: string): string {
  return `${IMAGE_PREFIX}/${service}`;
}

const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

export type Presence = 'present' | 'absent' | 'unreachable';

/** A read-only look-up in the registry's HTTP API: does it hold <repository>:<tag>? */
export async function registryHasTag(registry: string, repository: string, tag: string, timeoutMs = 3000): Promise<Presence> {
  const url = `http://${registry}/v2/${repository}/manifests/${encodeURIComponent(tag)}`;
  let res: Response;
  try {
    res = await fetch(url, { method: 'HEAD', headers: { accept: MANIFEST_TYPES }, signal: AbortSignal.timeout(timeoutMs) });
  } catch {
    return 'unreachable';
  }
  if (res.status === 200) return 'present';
  if (res.status === 404) return 'absent';
  throw new Error(`registry look-up ${url} answered ${res.status}`);
}

/** Returns service → image ref as pods pull it: `<clusterRegistry>/shopmesh/<service>:<contentTag>`. */
export async function buildAndPushImages(runner: Runner, opts: BuildImagesOptions): Promise<Record<string, string>> {
  const root = opts.root ?? repoRoot;
  const push = opts.push ?? true;
  const discovered = listServices(path.join(root, 'services')).map((s) => s.name);
  const wanted = opts.services?.length ? opts.services : discovered;
  const unknown = wanted.filter((s) => !discovered.includes(s));
  if (unknown.length) {
    throw new FixableError(`no such service: ${unknown.join(', ')}`, `a service is a folder under services/ with src/main.ts; known: ${discovered.join(', ') || '(none)'}`);
  }
  if (!wanted.length) throw new FixableError('no services to build', 'a service is a folder under services/ with src/main.ts');
  const baseImage = version('images.node', loadVersions(path.join(root, 'versions.yaml')));

  if (!runner.dryRun) {
    const engine = await runner.query('docker', ['version', '--format', '{{.Server.Version}}']);
    if (engine.code !== 0) {
      throw new FixableError('the Docker engine is not reachable, so images cannot be built', 'start Docker (or Docker Desktop / colima / OrbStack) and check `docker version` shows a Server');
    }
  }

  const refs: Record<string, string> = {};
  for (const service of wanted) {
    await runner.step(`image ${service}`, async () => {
      const { tag, files } = contentTag({ root, service, baseImage });
      const repository = imageRepository(service);
      const pushRef = `${opts.pushRegistry}/${repository}:${tag}`;
      refs[service] = `${opts.clusterRegistry}/${repository}:${tag}`;

      let presence: Presence;
      if (push) presence = await registryHasTag(opts.pushRegistry, repository, tag);
      else presence = (await runner.query('docker', ['image', 'inspect', '--format', '{{.Id}}', pushRef])).code === 0 ? 'present' : 'absent';
      if (presence === 'present') {
        runner.note(`${pushRef} is up to date (content tag over ${files.length} files); not rebuilt`);
        return;
      }
      if (presence === 'unreachable') runner.note(`registry ${opts.pushRegistry} did not answer; building, and the push will say why if it fails`);

      await runner.exec(
        'docker',
        [
          'build',
          '--file', DOCKERFILE,
          '--target', PRODUCTION_TARGET,
          '--build-arg', `NODE_IMAGE=${baseImage}`,
          '--build-arg', `SERVICE=${service}`,
          '--label', `dev.shopmesh.content-tag=${tag}`,
          '--tag', pushRef,
          '.',
        ],
        { cwd: root },
      );
      if (push) await runner.exec('docker', ['push', pushRef], { cwd: root });
    });
  }
  return refs;
}
