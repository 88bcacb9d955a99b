// In-cluster k6 runs for east-west scenarios: the script and loadtests/lib in a ConfigMap, a Job in
// the right namespace under the right ServiceAccount; the summary comes back in the pod log.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { KubeObject } from '../kube/render.ts';
import type { Expectations } from '../../../loadtests/lib/expectations.ts';

export interface K6JobSpec {
  scenario: string;
  role: string;
  namespace: string;
  serviceAccount: string;
  image: string;
  expectations: Expectations;
  loadtestsDir: string;
  /** Unique per run, so Jobs never collide with an earlier one. */
  runId: string;
}

const PART_OF = { 'app.kubernetes.io/part-of': 'shopmesh', 'app.kubernetes.io/component': 'k6' };

/** The script and every non-test file of loadtests/lib, keyed for a ConfigMap (keys cannot hold '/'). */
export function scriptFiles(loadtestsDir: string, scenario: string): { key: string; path: string; text: string }[] {
  const lib = readdirSync(path.join(loadtestsDir, 'lib')).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).sort();
  return [
    { key: `${scenario}.ts`, path: `${scenario}.ts`, text: readFileSync(path.join(loadtestsDir, `${scenario}.ts`), 'utf8') },
    ...lib.map((f) => ({ key: `lib__${f}`, path: `lib/${f}`, text: readFileSync(path.join(loadtestsDir, 'lib', f), 'utf8') })),
  ];
}

export function k6JobName(spec: Pick<K6JobSpec, 'scenario' | 'role' | 'runId'>): string {
  return `k6-${spec.scenario}-${spec.role}-${spec.runId}`.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 63).replace(/-+$/, '');
}

export function k6JobObjects(spec: K6JobSpec): KubeObject[] {
  const name = k6JobName(spec);
  const files = scriptFiles(spec.loadtestsDir, spec.scenario);
  const labels = { ...PART_OF, 'shopmesh.dev/k6-run': name };
  const configMap: KubeObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: spec.namespace, labels },
    data: Object.fromEntries(files.map((f) => [f.key, f.text])),
  };
  const env = [
    { name: 'SHOPMESH_EXPECT', value: JSON.stringify(spec.expectations) },
    { name: 'ROLE', value: spec.role },
  ];
  const job: KubeObject = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: spec.namespace, labels },
    spec: {
      backoffLimit: 0,
      ttlSecondsAfterFinished: 600,
      template: {
        metadata: { labels: { ...labels, app: 'k6', version: spec.role } },
        spec: {
          serviceAccountName: spec.serviceAccount,
          restartPolicy: 'Never',
          securityContext: { runAsNonRoot: true, runAsUser: 12345, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'k6',
              image: spec.image,
              args: ['run', '--summary-mode=compact', `/scripts/${spec.scenario}.ts`],
              env: env.map((e) => ({ name: e.name, value: e.value })),
              workingDir: '/tmp',
              resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi' } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
              volumeMounts: [{ name: 'scripts', mountPath: '/scripts', readOnly: true }, { name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          volumes: [
            { name: 'scripts', configMap: { name, items: files.map((f) => ({ key: f.key, path: f.path })) } },
            { name: 'tmp', emptyDir: {} },
          ],
        },
      },
    },
  };
  return [configMap, job];
}

/** The Jobs a scenario runs in-cluster: one per role, each in its namespace under its ServiceAccount. */
export function k6JobRoles(expectations: Expectations): { role: string; namespace: string; serviceAccount: string }[] {
  switch (expectations.scenario) {
    case 'mtls':
      return [
        { role: 'mesh', namespace: expectations.meshNamespace, serviceAccount: 'default' },
        { role: 'legacy', namespace: expectations.legacyNamespace, serviceAccount: 'default' },
      ];
    case 'authz':
      return expectations.sources.map((sa) => ({ role: sa, namespace: expectations.namespace, serviceAccount: sa }));
    default:
      return [];
  }
}
