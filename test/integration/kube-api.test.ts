/**
 * The Kubernetes HTTP client against a real kube-apiserver and etcd: paths, merge patches, the status
 * subresource, optimistic concurrency, errors from Status bodies, pagination, and bearer-token rotation.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createKubeApi } from '../../src/kube/api.ts';
import { loadKubeConfig, type KubeConnection } from '../../src/kube/config.ts';
import { KubeConnectionError } from '../../src/kube/errors.ts';
import {
  CORE_NAMESPACES,
  CORE_SECRETS,
  KubeApiError,
  type KubeClient,
  type KubeObject,
  type ResourceType,
} from '../../src/kube/types.ts';
import { freePort, installCrds, repoRoot, startControlPlane, type ControlPlane } from './envtest.ts';

const CONFIGMAPS: ResourceType = { group: '', version: 'v1', plural: 'configmaps', namespaced: true };
const OAUTH_CLIENTS: ResourceType = {
  group: 'latchkey.dev',
  version: 'v1alpha1',
  plural: 'oauthclients',
  namespaced: true,
};
const ns = 'kube-api';

async function refusal(call: Promise<unknown>): Promise<KubeApiError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof KubeApiError) return error;
    throw error;
  }
  throw new Error('the API server accepted the request');
}

describe('createKubeApi against a real API server', () => {
  let cp: ControlPlane;
  let api: KubeClient;

  beforeAll(async () => {
    cp = await startControlPlane();
    await installCrds(cp.kubeconfigPath, join(repoRoot, 'crds'));
    api = createKubeApi(loadKubeConfig({ kubeconfig: cp.kubeconfigPath }));
    await api.create(CORE_NAMESPACES, undefined, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns },
    });
  }, 10 * 60_000);

  afterAll(async () => {
    await api?.close();
    await cp?.stop();
  }, 60_000);

  it('creates, reads, merge-patches, replaces and deletes an object', async () => {
    const created = await api.create<KubeObject>(CONFIGMAPS, ns, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings', labels: { team: 'billing' } },
      data: { a: '1', b: '2' },
    });
    expect(created.metadata.uid).toBeTruthy();

    const patched = await api.patch<KubeObject>(CONFIGMAPS, ns, 'settings', { data: { b: null, c: '3' } });
    expect(patched.data).toEqual({ a: '1', c: '3' });
    expect(patched.metadata.labels).toEqual({ team: 'billing' });

    const current = await api.get<KubeObject>(CONFIGMAPS, ns, 'settings');
    expect(current?.metadata.resourceVersion).toBe(patched.metadata.resourceVersion);
    const replaced = await api.replace(CONFIGMAPS, ns, 'settings', { ...patched, data: { only: 'this' } });
    expect(replaced.data).toEqual({ only: 'this' });

    await api.delete(CONFIGMAPS, ns, 'settings');
    expect(await api.get(CONFIGMAPS, ns, 'settings')).toBeUndefined();
    const gone = await refusal(api.delete(CONFIGMAPS, ns, 'settings'));
    expect(gone.status).toBe(404);
    expect(gone.reason).toBe('NotFound');
  });

  it('answers undefined for a missing object and a missing namespace', async () => {
    expect(await api.get(CONFIGMAPS, ns, 'absent')).toBeUndefined();
    expect(await api.get(CONFIGMAPS, 'no-such-namespace', 'absent')).toBeUndefined();
    expect(await api.get(CORE_NAMESPACES, undefined, 'no-such-namespace')).toBeUndefined();
  });

  it('refuses, without sending, a name that would address another path', async () => {
    await api.create(CONFIGMAPS, ns, { metadata: { name: 'target' } });
    for (const name of ['target/status', '../configmaps/target', '..', '%2e%2e']) {
      await expect(api.get(CONFIGMAPS, ns, name)).rejects.toThrow(TypeError);
    }
  });

  it('refuses a replace or patch from a stale resourceVersion with 409 Conflict', async () => {
    const v1 = await api.create<KubeObject>(CONFIGMAPS, ns, {
      metadata: { name: 'contended' },
      data: { n: '1' },
    });
    await api.patch(CONFIGMAPS, ns, 'contended', { data: { n: '2' } });

    const stale = await refusal(api.replace(CONFIGMAPS, ns, 'contended', { ...v1, data: { n: 'stale' } }));
    expect(stale.status).toBe(409);
    expect(stale.reason).toBe('Conflict');
    expect(stale.code).toBe('LATCHKEY_KUBE_API');

    const stalePatch = await refusal(
      api.patch(
        CONFIGMAPS,
        ns,
        'contended',
        { data: { n: 'x' } },
        { resourceVersion: v1.metadata.resourceVersion },
      ),
    );
    expect(stalePatch.status).toBe(409);

    const fresh = await api.get<KubeObject>(CONFIGMAPS, ns, 'contended');
    const ok = await api.patch<KubeObject>(
      CONFIGMAPS,
      ns,
      'contended',
      { data: { n: '3' } },
      { resourceVersion: fresh?.metadata.resourceVersion },
    );
    expect(ok.data).toEqual({ n: '3' });
  });

  it('writes status only through the status subresource', async () => {
    await api.create(CORE_NAMESPACES, undefined, { metadata: { name: 'billing-api-test' } });
    const client = await api.create<KubeObject>(OAUTH_CLIENTS, 'billing-api-test', {
      apiVersion: 'latchkey.dev/v1alpha1',
      kind: 'OAuthClient',
      metadata: { name: 'worker' },
      spec: { appType: 'non_interactive', grantTypes: ['client_credentials'] },
    });
    const condition = {
      type: 'Ready',
      status: 'True',
      reason: 'Reconciled',
      message: 'ok',
      lastTransitionTime: '2026-11-23T10:00:00Z',
    };
    // The main resource ignores status when the status subresource is enabled.
    const ignored = await api.patch<KubeObject>(OAUTH_CLIENTS, 'billing-api-test', 'worker', {
      status: { conditions: [condition] },
    });
    expect(ignored.status).toBeUndefined();

    const written = await api.patch<KubeObject>(
      OAUTH_CLIENTS,
      'billing-api-test',
      'worker',
      { status: { clientId: 'abc', conditions: [condition] }, spec: { appType: 'web' } },
      { subresource: 'status' },
    );
    expect(written.status).toMatchObject({ clientId: 'abc', conditions: [condition] });
    expect(written.spec).toEqual(client.spec);
  });

  it('reports the Status reason and message of a refusal, never the request body', async () => {
    const secretValue = 'do-not-leak-this-value';
    const invalid = await refusal(
      api.create(CORE_SECRETS, ns, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'Not_A_Valid_Name' },
        stringData: { client_secret: secretValue },
      }),
    );
    expect(invalid.status).toBe(422);
    expect(invalid.reason).toBe('Invalid');
    expect(invalid.message).toContain('Not_A_Valid_Name');
    expect(invalid.message).toContain(`POST /api/v1/namespaces/${ns}/secrets`);
    expect(JSON.stringify({ ...invalid, message: invalid.message, stack: invalid.stack })).not.toContain(
      secretValue,
    );

    const exists = await refusal(api.create(CORE_NAMESPACES, undefined, { metadata: { name: ns } }));
    expect(exists.status).toBe(409);
    expect(exists.reason).toBe('AlreadyExists');
  });

  it('reads non-resource paths', async () => {
    const version = (await api.getRaw('/version')) as { gitVersion: string };
    expect(version.gitVersion).toMatch(/^v1\./);
    const discovery = (await api.getRaw('/.well-known/openid-configuration')) as { issuer: string };
    expect(discovery.issuer).toBe(cp.serviceAccountIssuer);
    await expect(api.getRaw('version')).rejects.toThrow(TypeError);
  });

  it('lists in pages, filling in apiVersion and kind, and filters by label', async () => {
    await api.create(CORE_NAMESPACES, undefined, { metadata: { name: 'kube-api-list' } });
    for (let i = 0; i < 7; i++) {
      await api.create(CONFIGMAPS, 'kube-api-list', {
        metadata: { name: `cm-${i}`, labels: { parity: i % 2 ? 'odd' : 'even' } },
      });
    }
    const names: string[] = [];
    let next: string | undefined;
    let pages = 0;
    do {
      const page = await api.list(CONFIGMAPS, { namespace: 'kube-api-list', limit: 3, continue: next });
      pages++;
      expect(page.resourceVersion).toMatch(/^\d+$/);
      for (const item of page.items) {
        expect(item.apiVersion).toBe('v1');
        expect(item.kind).toBe('ConfigMap');
        names.push(item.metadata.name);
      }
      next = page.continue;
    } while (next);
    // The namespace also holds kube-root-ca.crt only when a controller-manager runs; there is none here.
    expect(names.sort()).toEqual(['cm-0', 'cm-1', 'cm-2', 'cm-3', 'cm-4', 'cm-5', 'cm-6']);
    expect(pages).toBe(3);

    const odd = await api.list(CONFIGMAPS, { namespace: 'kube-api-list', labelSelector: 'parity=odd' });
    expect(odd.items.map((i) => i.metadata.name).sort()).toEqual(['cm-1', 'cm-3', 'cm-5']);
    const all = await api.list(CONFIGMAPS, { fieldSelector: 'metadata.name=cm-6' });
    expect(all.items.map((i) => `${i.metadata.namespace}/${i.metadata.name}`)).toEqual([
      'kube-api-list/cm-6',
    ]);
  });

  it('authenticates with a pod’s rotating ServiceAccount token', async () => {
    // A ServiceAccount allowed to read ConfigMaps in the namespace, and a token for it.
    await api.create(CORE_NAMESPACES, undefined, { metadata: { name: 'kube-api-sa' } });
    const SERVICE_ACCOUNTS: ResourceType = {
      group: '',
      version: 'v1',
      plural: 'serviceaccounts',
      namespaced: true,
    };
    await api.create(SERVICE_ACCOUNTS, 'kube-api-sa', { metadata: { name: 'operator' } });
    const rbac = (plural: string): ResourceType => ({
      group: 'rbac.authorization.k8s.io',
      version: 'v1',
      plural,
      namespaced: true,
    });
    await api.create(rbac('roles'), 'kube-api-sa', {
      metadata: { name: 'read-configmaps' },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }],
    });
    await api.create(rbac('rolebindings'), 'kube-api-sa', {
      metadata: { name: 'operator-reads' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read-configmaps' },
      subjects: [{ kind: 'ServiceAccount', name: 'operator', namespace: 'kube-api-sa' }],
    });
    await api.create(CONFIGMAPS, 'kube-api-sa', { metadata: { name: 'visible' } });
    const kc = new KubeConfig();
    kc.loadFromFile(cp.kubeconfigPath);
    const minted = await kc.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
      name: 'operator',
      namespace: 'kube-api-sa',
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    const token = minted.status?.token ?? '';
    expect(token).not.toBe('');

    const root = await mkdtemp(join(tmpdir(), 'latchkey-pod-'));
    const sa = join(root, 'var/run/secrets/kubernetes.io/serviceaccount');
    await mkdir(sa, { recursive: true });
    await writeFile(join(sa, 'ca.crt'), cp.caPem);
    await writeFile(join(sa, 'token'), token);
    await writeFile(join(sa, 'namespace'), 'kube-api-sa');
    vi.stubEnv('KUBERNETES_SERVICE_HOST', cp.server.hostname);
    vi.stubEnv('KUBERNETES_SERVICE_PORT', cp.server.port);
    let now = 0;
    const connection = loadKubeConfig({ inClusterRoot: root, now: () => now });
    vi.unstubAllEnvs();
    const pod = createKubeApi(connection);
    try {
      expect(connection.namespace).toBe('kube-api-sa');
      expect((await pod.get(CONFIGMAPS, 'kube-api-sa', 'visible'))?.metadata.name).toBe('visible');
      const forbidden = await refusal(pod.get(CONFIGMAPS, ns, 'anything'));
      expect(forbidden.status).toBe(403);
      expect(forbidden.reason).toBe('Forbidden');

      // The kubelet replaces the file; the client picks the new token up after the refresh interval.
      await writeFile(join(sa, 'token'), 'revoked-token');
      expect((await pod.get(CONFIGMAPS, 'kube-api-sa', 'visible'))?.metadata.name).toBe('visible');
      now += 61_000;
      const refused = await refusal(pod.get(CONFIGMAPS, 'kube-api-sa', 'visible'));
      expect(refused.status).toBe(401);
      expect(refused.reason).toBe('Unauthorized');
      await writeFile(join(sa, 'token'), token);
      now += 61_000;
      expect((await pod.get(CONFIGMAPS, 'kube-api-sa', 'visible'))?.metadata.name).toBe('visible');
    } finally {
      await pod.close();
      await rm(root, { recursive: true, force: true });
    }
  });

  it('refuses an API server whose certificate the CA did not sign', async () => {
    const wrongCa: KubeConnection = {
      ...loadKubeConfig({ kubeconfig: cp.kubeconfigPath }),
      ca: cp.clientCaPem,
    };
    const client = createKubeApi(wrongCa);
    try {
      await expect(client.get(CONFIGMAPS, ns, 'x')).rejects.toThrow(KubeConnectionError);
    } finally {
      await client.close();
    }
  });

  it('fails with KubeConnectionError when nothing listens', async () => {
    const port = await freePort();
    const client = createKubeApi({
      ...loadKubeConfig({ kubeconfig: cp.kubeconfigPath }),
      server: new URL(`https://127.0.0.1:${port}`),
    });
    try {
      const error = await client.get(CONFIGMAPS, ns, 'x').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KubeConnectionError);
      expect((error as KubeConnectionError).code).toBe('LATCHKEY_KUBE_CONNECTION');
      expect((error as Error).message).toContain(`GET /api/v1/namespaces/${ns}/configmaps/x`);
    } finally {
      await client.close();
    }
  });
});
