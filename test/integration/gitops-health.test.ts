/**
 * The Argo CD health checks (gitops/argocd/health) judging objects exactly as the operator leaves them in a
 * real API server: the scripts and the operator's status must agree, not only the scripts and fixtures.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KindName } from '../../src/api/kinds.ts';
import { CORE_SECRETS, type KubeObject } from '../../src/kube/types.ts';
import { resourceOf } from '../../src/operator/resources.ts';
import { ARGOCD_CM_FILE, readHealthScripts } from '../../scripts/generate-argocd-cm.ts';
import { glua, repoRoot, runHealthScript, type HealthStatus } from '../gitops/lua.ts';
import {
  createNamespace,
  eventually,
  getObject,
  operator,
  startCluster,
  type Cluster,
  type Operator,
} from './operator-harness.ts';

const run = promisify(execFile);
const NS = 'shop';
const API_VERSION = 'latchkey.dev/v1alpha1';

describe('Argo CD health of objects the operator reconciled (real kube-apiserver)', () => {
  let cluster: Cluster;
  let op: Operator | undefined;

  /** Health as Argo CD would show it now, by the kind's health.lua. */
  const health = async (kind: KindName, name: string): Promise<HealthStatus | undefined> => {
    const object = await getObject(cluster, kind, NS, name);
    if (object === undefined) return undefined;
    const script = join(repoRoot, 'gitops/argocd/health/latchkey.dev', kind, 'health.lua');
    return runHealthScript(script, object);
  };
  const healthBecomes = (kind: KindName, name: string, expected: HealthStatus) =>
    eventually(
      () => health(kind, name),
      (h) => h?.status === expected.status && h.message === expected.message,
      `${kind} ${NS}/${name} ${expected.status}`,
    );
  const create = (kind: KindName, name: string, spec: unknown) =>
    cluster.api.create<KubeObject>(resourceOf(kind), NS, {
      apiVersion: API_VERSION,
      kind,
      metadata: { name, namespace: NS },
      spec,
    });

  beforeAll(async () => {
    await glua();
    cluster = await startCluster();
    await createNamespace(cluster, NS);
    op = await operator(cluster);
    await op.whenReady();
  }, 300_000);

  afterAll(async () => {
    await op?.close();
    await cluster?.stop();
  });

  it('is Healthy, Progressing while a Secret is awaited, and Degraded for a broken reference', async () => {
    await create('ResourceServer', 'orders-api', {
      identifier: 'https://orders.internal',
      scopes: [{ name: 'orders:read' }],
    });
    await create('OAuthClient', 'packer', {
      grants: [{ resourceServer: { name: 'orders-api' }, scopes: ['orders:read'] }],
      secret: { source: 'Existing' },
    });
    await create('OAuthClient', 'shipper', {
      grants: [{ resourceServer: { name: 'shipping-api' }, scopes: ['shipping:write'] }],
    });

    await healthBecomes('ResourceServer', 'orders-api', {
      status: 'Healthy',
      message: 'ResourceServer is in effect',
    });
    await healthBecomes('OAuthClient', 'packer', {
      status: 'Progressing',
      message: `waiting for Secret ${NS}/packer-oauth to be written (spec.secret.source is Existing)`,
    });
    await healthBecomes('OAuthClient', 'shipper', {
      status: 'Degraded',
      message: `spec.grants[0]: ResourceServer ${NS}/shipping-api not found or not ready`,
    });

    // Whoever writes the Secret (External Secrets, a person) ends the wait without touching the client.
    await cluster.api.create(CORE_SECRETS, NS, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'packer-oauth', namespace: NS },
      stringData: { client_secret: 'a-secret-store-generated-this-0123456789' },
    });
    await healthBecomes('OAuthClient', 'packer', { status: 'Healthy', message: 'OAuthClient is in effect' });
  });

  it('is Progressing after a spec edit until the operator has observed it', async () => {
    await op?.close();
    op = undefined;
    const edited = await cluster.api.patch<KubeObject>(resourceOf('ResourceServer'), NS, 'orders-api', {
      spec: { scopes: [{ name: 'orders:read' }, { name: 'orders:cancel' }] },
    });
    expect((edited.metadata as { generation?: number }).generation).toBe(2);
    expect(await health('ResourceServer', 'orders-api')).toEqual({
      status: 'Progressing',
      message: 'Waiting for the operator to observe generation 2',
    });

    op = await operator(cluster);
    await op.whenReady();
    await healthBecomes('ResourceServer', 'orders-api', {
      status: 'Healthy',
      message: 'ResourceServer is in effect',
    });
  });

  it('installs into an existing argocd-cm by server-side apply, keeping its other keys', async () => {
    const configMaps = { group: '', version: 'v1', plural: 'configmaps', namespaced: true };
    await createNamespace(cluster, 'argocd');
    await cluster.api.create(configMaps, 'argocd', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'argocd-cm', namespace: 'argocd' },
      data: {
        url: 'https://argocd.example.com',
        'resource.customizations.health.apps_Deployment': 'hs = {}',
      },
    });
    await run('kubectl', [
      '--kubeconfig',
      cluster.cp.kubeconfigPath,
      'apply',
      '--server-side',
      '--field-manager',
      'latchkey-health',
      '-f',
      ARGOCD_CM_FILE,
    ]);
    const cm = await cluster.api.get<KubeObject>(configMaps, 'argocd', 'argocd-cm');
    const expected = Object.fromEntries(
      (await readHealthScripts()).map((s) => [`resource.customizations.health.${s.group}_${s.kind}`, s.lua]),
    );
    expect(cm?.['data']).toEqual({
      url: 'https://argocd.example.com',
      'resource.customizations.health.apps_Deployment': 'hs = {}',
      ...expected,
    });
    expect(Object.keys(expected)).toHaveLength(5);
  });
});
