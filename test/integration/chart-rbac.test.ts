/**
 * The chart's RBAC is enough, and no more: the chart's ServiceAccount, Roles and bindings are applied to a real
 * kube-apiserver, the operator runs in this process with a token of that ServiceAccount (TokenRequest API) and
 * nothing else, reconciles one object of every kind, and the API server refuses what the operator must not do.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus } from '../../src/events.ts';
import { createKubeApi } from '../../src/kube/api.ts';
import { loadKubeConfig } from '../../src/kube/config.ts';
import {
  CORE_CONFIGMAPS,
  CORE_SECRETS,
  KubeApiError,
  type KubeClient,
  type ResourceType,
} from '../../src/kube/types.ts';
import { parseOperatorArgs } from '../../src/operator/config.ts';
import { resourceOf } from '../../src/operator/resources.ts';
import { startOperator, type RunningOperator } from '../../src/operator/run.ts';
import { HELM_BUILD_TIMEOUT_MS, renderText } from '../chart/helm.ts';
import { freePort, repoRoot } from './envtest.ts';
import {
  OPERATOR_NAMESPACE,
  conditionOf,
  declaredIn,
  eventually,
  getObject,
  kubectlApply,
  secretData,
  startCluster,
  tokenFromSecret,
  type Cluster,
} from './operator-harness.ts';

const run = promisify(execFile);

const SCENARIO = join(repoRoot, 'test/chart/fixtures/scenario');
const WATCHED = ['payments', 'billing', 'platform'];
const SERVICE_ACCOUNT = 'latchkey';

const CRDS: ResourceType = {
  group: 'apiextensions.k8s.io',
  version: 'v1',
  plural: 'customresourcedefinitions',
  namespaced: false,
};
const PODS: ResourceType = { group: '', version: 'v1', plural: 'pods', namespaced: true };

/** The status of the API server's refusal, or 'allowed' when it did what was asked. */
async function refusal(call: () => Promise<unknown>): Promise<number | 'allowed'> {
  try {
    await call();
    return 'allowed';
  } catch (err) {
    if (err instanceof KubeApiError) return err.status;
    throw err;
  }
}

/** A kubeconfig that authenticates as the chart's ServiceAccount with a bearer token and nothing else. */
async function serviceAccountKubeconfig(cluster: Cluster, dir: string): Promise<string> {
  // TokenRequest API (serviceaccounts/token), as the kubelet mints a pod's projected token.
  const { stdout } = await run('kubectl', [
    '--kubeconfig',
    cluster.cp.kubeconfigPath,
    'create',
    'token',
    SERVICE_ACCOUNT,
    '--namespace',
    OPERATOR_NAMESPACE,
    '--duration=1h',
  ]);
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'envtest',
        cluster: {
          server: cluster.cp.server.origin,
          'certificate-authority-data': Buffer.from(cluster.cp.caPem).toString('base64'),
        },
      },
    ],
    users: [{ name: SERVICE_ACCOUNT, user: { token: stdout.trim() } }],
    contexts: [
      {
        name: 'latchkey',
        context: { cluster: 'envtest', user: SERVICE_ACCOUNT, namespace: OPERATOR_NAMESPACE },
      },
    ],
    'current-context': 'latchkey',
  };
  const path = join(dir, 'kubeconfig');
  await writeFile(path, JSON.stringify(config), { mode: 0o600 });
  return path;
}

interface Setup {
  cluster: Cluster;
  dir: string;
  /** Latchkey's client, authenticated as the chart's ServiceAccount. */
  sa: KubeClient;
  op: RunningOperator;
}

/** A control plane with the scenario's namespaces, the chart's RBAC for `values`, and the operator running as its ServiceAccount. */
async function setUp(set: Record<string, unknown>, namespaces: string[] | undefined): Promise<Setup> {
  const cluster = await startCluster();
  const dir = await mkdtemp(join(tmpdir(), 'latchkey-chart-rbac-'));
  try {
    // Kubernetes binds issuer discovery to every ServiceAccount by default; hardened clusters remove that, and
    // so does this test, so that only the chart's own binding lets the kubernetes Connection become Ready.
    await run('kubectl', [
      '--kubeconfig',
      cluster.cp.kubeconfigPath,
      'delete',
      'clusterrolebinding',
      'system:service-account-issuer-discovery',
    ]);
    await kubectlApply(cluster, join(SCENARIO, 'namespaces.yaml'));
    const rbac = join(dir, 'rbac.yaml');
    await writeFile(
      rbac,
      await renderText({
        namespace: OPERATOR_NAMESPACE,
        set,
        showOnly: ['templates/serviceaccount.yaml', 'templates/rbac.yaml'],
      }),
    );
    await kubectlApply(cluster, rbac);
    const connection = loadKubeConfig({ kubeconfig: await serviceAccountKubeconfig(cluster, dir) });
    const port = await freePort();
    const config = parseOperatorArgs(
      [
        '--issuer',
        `http://127.0.0.1:${port}`,
        '--namespace',
        OPERATOR_NAMESPACE,
        ...(namespaces ? ['--namespaces', namespaces.join(',')] : []),
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--ops-port',
        '0',
        '--identity',
        'chart-rbac',
      ],
      undefined,
    );
    const op = await startOperator(config, { events: new EventBus(), connection });
    return { cluster, dir, sa: createKubeApi(connection), op };
  } catch (err) {
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

async function tearDown(setup: Setup | undefined): Promise<void> {
  if (!setup) return;
  await setup.op.close();
  await setup.sa.close();
  await setup.cluster.stop();
  await rm(setup.dir, { recursive: true, force: true });
}

/** What both modes must do with exactly the chart's RBAC. */
function itReconcilesTheScenario(get: () => Setup): void {
  it('becomes ready, leads, and makes one object of every kind Ready', { timeout: 120_000 }, async () => {
    const { cluster, op } = get();
    // Missing permissions show as a readiness that never comes: fail with the reason instead of the test timeout.
    await eventually(
      async () => {
        const res = await fetch(`http://127.0.0.1:${op.opsPort}/readyz`);
        return `${res.status} ${await res.text()}`;
      },
      (answer) => answer.startsWith('200 '),
      '/readyz answers 200',
      60_000,
    );
    await eventually(
      async () => op.isLeader(),
      (leader) => leader,
      'the operator leads (Lease get/create/update)',
    );
    await kubectlApply(cluster, join(SCENARIO, 'identity.yaml'));
    const declared = await declaredIn(SCENARIO);
    expect(declared.map(([kind]) => kind).sort()).toEqual([
      'Connection',
      'OAuthClient',
      'Organization',
      'ResourceServer',
      'Role',
    ]);
    for (const [kind, namespace, name] of declared) {
      const o = await eventually(
        () => getObject(cluster, kind, namespace, name),
        (x) => conditionOf(x)?.status === 'True',
        `${kind} ${namespace}/${name} Ready`,
      );
      expect(conditionOf(o)).toMatchObject({ status: 'True', reason: 'Reconciled', observedGeneration: 1 });
    }
  });

  it('writes a Secret whose credentials get a token that verifies against the JWKS', async () => {
    const { cluster } = get();
    const data = await eventually(
      () => secretData(cluster, 'billing', 'billing-worker-oauth'),
      (d) => d !== undefined,
      'generated Secret',
    );
    const { answer, claims } = await tokenFromSecret(data as Record<string, string>, {
      audience: 'https://payments.internal',
      organization: 'acme',
    });
    expect(answer.status).toBe(200);
    expect(claims).toMatchObject({
      client_id: 'billing-worker.billing',
      aud: 'https://payments.internal',
      scope: 'payments:read payments:write',
      org_name: 'acme',
    });
  });

  it('cannot delete a CustomResourceDefinition', async () => {
    expect(await refusal(() => get().sa.delete(CRDS, undefined, 'oauthclients.latchkey.dev'))).toBe(403);
  });

  it('cannot create a Pod, even in a namespace it watches', async () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'escape', namespace: 'billing' },
      spec: { containers: [{ name: 'sh', image: 'busybox' }] },
    };
    expect(await refusal(() => get().sa.create(PODS, 'billing', pod))).toBe(403);
  });

  it('cannot read ConfigMaps outside its own, in any namespace', async () => {
    const { cluster, sa } = get();
    for (const namespace of ['billing', 'outside', OPERATOR_NAMESPACE]) {
      await cluster.api.create(CORE_CONFIGMAPS, namespace, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'unrelated', namespace },
        data: { note: 'not Latchkey’s' },
      });
      expect(await refusal(() => sa.get(CORE_CONFIGMAPS, namespace, 'unrelated'))).toBe(403);
    }
  });

  it('cannot change the spec of what it reconciles, only its status', async () => {
    const { sa } = get();
    const patch = { spec: { displayName: 'Hijacked' } };
    expect(await refusal(() => sa.patch(resourceOf('OAuthClient'), 'billing', 'billing-worker', patch))).toBe(
      403,
    );
  });

  it('cannot delete a Secret, not even one it generated', async () => {
    expect(await refusal(() => get().sa.delete(CORE_SECRETS, 'billing', 'billing-worker-oauth'))).toBe(403);
  });
}

describe('the chart in the cluster-wide mode, as the operator’s only permissions', () => {
  let setup: Setup | undefined;
  const get = () => setup as Setup;
  beforeAll(async () => {
    setup = await setUp({}, undefined);
  }, HELM_BUILD_TIMEOUT_MS);
  afterAll(() => tearDown(setup), 60_000);

  itReconcilesTheScenario(get);
});

describe('the chart in the namespaced mode (watchNamespaces), as the operator’s only permissions', () => {
  let setup: Setup | undefined;
  const get = () => setup as Setup;
  beforeAll(async () => {
    setup = await setUp({ watchNamespaces: WATCHED }, WATCHED);
  }, HELM_BUILD_TIMEOUT_MS);
  afterAll(() => tearDown(setup), 60_000);

  itReconcilesTheScenario(get);

  it('loaded its signing keys through a Role limited to its own objects (its namespace is not watched)', async () => {
    const { cluster, sa } = get();
    expect(WATCHED).not.toContain(OPERATOR_NAMESPACE);
    expect(await cluster.api.get(CORE_SECRETS, OPERATOR_NAMESPACE, 'latchkey-signing-keys')).toBeDefined();
    expect(await sa.get(CORE_CONFIGMAPS, OPERATOR_NAMESPACE, 'latchkey-signing-keys-issued')).toBeDefined();
    // The key Secret is readable only through a list or watch limited to its name, never by a plain get.
    expect(await refusal(() => sa.get(CORE_SECRETS, OPERATOR_NAMESPACE, 'latchkey-signing-keys'))).toBe(403);
  });

  it('reads Secrets in a watched namespace but is refused one outside watchNamespaces', async () => {
    const { cluster, sa } = get();
    await cluster.api.create(CORE_SECRETS, 'outside', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'database', namespace: 'outside' },
      stringData: { password: 'not for Latchkey' },
    });
    expect((await sa.get(CORE_SECRETS, 'billing', 'billing-worker-oauth'))?.metadata.name).toBe(
      'billing-worker-oauth',
    );
    expect(await refusal(() => sa.get(CORE_SECRETS, 'outside', 'database'))).toBe(403);
    expect(await refusal(() => sa.list(CORE_SECRETS, { namespace: 'outside' }))).toBe(403);
  });

  it('cannot list the latchkey.dev objects of a namespace it does not watch', async () => {
    expect(await refusal(() => get().sa.list(resourceOf('OAuthClient'), { namespace: 'outside' }))).toBe(403);
  });
});
