/**
 * Schema validation of the rendered chart by the API server itself: `kubectl apply --server-side
 * --dry-run=server --validate=strict` against the real kube-apiserver of the integration suite. That checks the
 * OpenAPI schemas of the server's own version (unknown and duplicate fields refused), admission and object
 * validation (selector against template labels, PDB, RBAC rules, port names) and the chart's own CRDs, without
 * JSON schemas downloaded or generated separately. ServiceMonitor and Certificate are validated against
 * stand-in CRDs with the upstream schemas of the fields the chart uses (test/chart/fixtures/crds).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installCrds, repoRoot, startControlPlane, type ControlPlane } from '../integration/envtest.ts';
import {
  HELM_BUILD_TIMEOUT_MS,
  helmBinary,
  inventory,
  modeValues,
  renderText,
  type Manifest,
} from './helm.ts';

const NAMESPACE = 'latchkey-system';

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

function kubectl(plane: ControlPlane, args: string[], input?: string): Promise<Outcome> {
  return new Promise((done, fail) => {
    const child = spawn('kubectl', ['--kubeconfig', plane.kubeconfigPath, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** Server-side apply as a dry run, with the API server refusing unknown fields. */
const dryRun = (plane: ControlPlane, yaml: string) =>
  kubectl(
    plane,
    [
      'apply',
      '--server-side',
      '--dry-run=server',
      '--validate=strict',
      '--field-manager=helm',
      '--output=json',
      '-f',
      '-',
    ],
    yaml,
  );

const objectsOf = (yaml: string) =>
  parseAllDocuments(yaml)
    .map((d) => d.toJS() as Manifest | null)
    .filter((o): o is Manifest => o !== null);

/** The objects the API server returned from the dry run (`-o json`), as `Kind namespace/name`. */
function applied(stdout: string): string[] {
  const answer = JSON.parse(stdout) as Manifest & { items?: Manifest[] };
  return inventory(answer.kind === 'List' ? (answer.items ?? []) : [answer]);
}

describe('the rendered chart, validated by a real kube-apiserver (server-side dry-run)', () => {
  let plane: ControlPlane | undefined;

  beforeAll(async () => {
    await helmBinary();
    plane = await startControlPlane();
    await installCrds(plane.kubeconfigPath, join(repoRoot, 'charts/latchkey/crds'));
    await installCrds(plane.kubeconfigPath, join(repoRoot, 'test/chart/fixtures/crds'));
    for (const namespace of [NAMESPACE, 'payments', 'billing']) {
      const created = await kubectl(plane, ['create', 'namespace', namespace]);
      if (created.code !== 0) throw new Error(`kubectl create namespace ${namespace}: ${created.stderr}`);
    }
    // Pod Security Admission answers a Deployment whose pods break the restricted profile with a warning on
    // stderr, which the tests below require to be empty.
    const labelled = await kubectl(plane, [
      'label',
      'namespace',
      NAMESPACE,
      'pod-security.kubernetes.io/enforce=restricted',
      'pod-security.kubernetes.io/warn=restricted',
    ]);
    if (labelled.code !== 0) throw new Error(`kubectl label namespace: ${labelled.stderr}`);
  }, HELM_BUILD_TIMEOUT_MS);

  afterAll(async () => {
    await plane?.stop();
  });

  const cases: [string, string[]][] = [
    ['default values', []],
    ...Object.entries(modeValues).map(([mode, file]): [string, string[]] => [`the ${mode} mode`, [file]]),
  ];
  for (const [what, values] of cases) {
    it(`accepts every object of ${what}`, async () => {
      const yaml = await renderText({ values, namespace: NAMESPACE });
      const objects = objectsOf(yaml);
      const outcome = await dryRun(plane as ControlPlane, yaml);
      expect(outcome.stderr).toBe('');
      expect(outcome.code).toBe(0);
      expect(applied(outcome.stdout)).toEqual(inventory(objects));
    });
  }

  it('refuses an unknown field in a core kind, so the check above can fail', async () => {
    const objects = objectsOf(await renderText({ namespace: NAMESPACE }));
    const deployment = objects.find((o) => o.kind === 'Deployment') as Manifest;
    const pod = (deployment['spec'] as { template: { spec: { containers: Record<string, unknown>[] } } })
      .template.spec;
    (pod.containers[0]!['securityContext'] as Record<string, unknown>)['runAsNonRot'] = true;
    const outcome = await dryRun(plane as ControlPlane, stringify(deployment));
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toContain(
      '.spec.template.spec.containers[name="latchkey"].securityContext.runAsNonRot: field not declared in schema',
    );
  });

  it('warns about a pod that breaks the restricted Pod Security Standard, so the empty stderr above means it meets it', async () => {
    const objects = objectsOf(await renderText({ namespace: NAMESPACE }));
    const deployment = objects.find((o) => o.kind === 'Deployment') as Manifest;
    const pod = (deployment['spec'] as { template: { spec: { containers: Record<string, unknown>[] } } })
      .template.spec;
    (pod.containers[0]!['securityContext'] as Record<string, unknown>)['allowPrivilegeEscalation'] = true;
    const outcome = await dryRun(plane as ControlPlane, stringify(deployment));
    expect(outcome.code).toBe(0);
    expect(outcome.stderr).toBe(
      'Warning: would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false ' +
        '(container "latchkey" must set securityContext.allowPrivilegeEscalation=false)\n',
    );
  });

  it('refuses an unknown field in a ServiceMonitor, so the stand-in CRD checks its fields', async () => {
    const objects = objectsOf(
      await renderText({ values: [modeValues.serviceMonitor], namespace: NAMESPACE }),
    );
    const monitor = objects.find((o) => o.kind === 'ServiceMonitor') as Manifest;
    (monitor['spec'] as { endpoints: Record<string, unknown>[] }).endpoints[0]!['intervall'] = '30s';
    const outcome = await dryRun(plane as ControlPlane, stringify(monitor));
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toContain('.spec.endpoints[0].intervall: field not declared in schema');
  });
});
