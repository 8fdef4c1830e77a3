/**
 * The integration harness itself: a real kube-apiserver and etcd, the generated CRDs installed, the API server's
 * schema validation enforced, and the TokenRequest API working (so tests can mint ServiceAccount tokens).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ApiException,
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  VersionApi,
} from '@kubernetes/client-node';
import { importSPKI, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { installCrds, repoRoot, startControlPlane, type ControlPlane } from './envtest.ts';

const group = 'latchkey.dev';
const version = 'v1alpha1';

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string };
  spec: Record<string, unknown>;
}

/** The status code and message of a refused API call. */
async function refusal(call: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await call;
  } catch (error) {
    if (error instanceof ApiException) {
      const body = typeof error.body === 'string' ? error.body : JSON.stringify(error.body);
      let message = body;
      try {
        message = (JSON.parse(body) as { message?: string }).message ?? body;
      } catch {
        // not JSON: keep the raw body
      }
      return { code: error.code, message };
    }
    throw error;
  }
  throw new Error('the API server accepted the request');
}

describe('envtest harness (real kube-apiserver and etcd)', () => {
  let cp: ControlPlane | undefined;
  let crdNames: string[] = [];
  let core: CoreV1Api;
  let custom: CustomObjectsApi;
  let extensions: ApiextensionsV1Api;

  const plane = (): ControlPlane => {
    if (!cp) throw new Error('control plane not started');
    return cp;
  };

  // The first run may build kube-apiserver and etcd from source (many minutes on a small machine).
  beforeAll(async () => {
    cp = await startControlPlane();
    crdNames = await installCrds(cp.kubeconfigPath, join(repoRoot, 'crds'));
    const kc = new KubeConfig();
    kc.loadFromFile(cp.kubeconfigPath);
    core = kc.makeApiClient(CoreV1Api);
    custom = kc.makeApiClient(CustomObjectsApi);
    extensions = kc.makeApiClient(ApiextensionsV1Api);
  }, 60 * 60_000);

  afterAll(async () => {
    await cp?.stop();
  }, 60_000);

  it('binds to 127.0.0.1 and reports a real Kubernetes version', async () => {
    expect(plane().server.hostname).toBe('127.0.0.1');
    expect(plane().etcdUrl.hostname).toBe('127.0.0.1');
    const kc = new KubeConfig();
    kc.loadFromFile(plane().kubeconfigPath);
    expect(kc.getCurrentCluster()?.server).toBe(plane().server.origin);
    const info = await kc.makeApiClient(VersionApi).getCode();
    expect(info.gitVersion).toMatch(/^v1\.\d+\.\d+/);
    expect(info.major).toBe('1');
  });

  it('installs every CRD in crds/ and each is Established', async () => {
    expect(crdNames.length).toBeGreaterThan(0);
    expect(crdNames).toContain(`oauthclients.${group}`);
    for (const name of crdNames) {
      const crd = await extensions.readCustomResourceDefinition({ name });
      const established = crd.status?.conditions?.find((c) => c.type === 'Established');
      expect(established?.status, name).toBe('True');
    }
  });

  it('accepts the invoice-sync OAuthClient example and refuses an invalid appType naming the field', async () => {
    const example = parse(
      await readFile(join(repoRoot, 'examples/multi-tenant/invoice-sync.yaml'), 'utf8'),
    ) as Manifest;
    expect(example.kind).toBe('OAuthClient');
    const namespace = example.metadata.namespace;
    await core.createNamespace({ body: { metadata: { name: namespace } } });

    const created = (await custom.createNamespacedCustomObject({
      group,
      version,
      namespace,
      plural: 'oauthclients',
      body: example,
    })) as Manifest;
    expect(created.metadata.name).toBe(example.metadata.name);
    expect(created.spec.appType).toBe('non_interactive');

    const invalid = {
      ...example,
      metadata: { name: 'robot-client', namespace },
      spec: { ...example.spec, appType: 'robot' },
    };
    const refused = await refusal(
      custom.createNamespacedCustomObject({
        group,
        version,
        namespace,
        plural: 'oauthclients',
        body: invalid,
      }),
    );
    expect(refused.code).toBe(422);
    expect(refused.message).toContain('spec.appType');
    expect(refused.message).toContain('robot');
  });

  it('issues ServiceAccount tokens through the TokenRequest API', async () => {
    const namespace = 'envtest-tokens';
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'worker' } } });
    const request = await core.createNamespacedServiceAccountToken({
      name: 'worker',
      namespace,
      body: { spec: { audiences: ['latchkey'], expirationSeconds: 600 } },
    });
    const token = request.status?.token;
    expect(token).toBeTruthy();

    const key = await importSPKI(plane().serviceAccountPublicKeyPem, 'RS256');
    const { payload } = await jwtVerify(token ?? '', key, {
      issuer: plane().serviceAccountIssuer,
      audience: 'latchkey',
    });
    expect(payload.sub).toBe(`system:serviceaccount:${namespace}:worker`);
  });

  it('keeps the data in etcd while the API server is stopped and started again', async () => {
    await plane().stopApiServer();
    await expect(core.readNamespace({ name: 'invoicing' })).rejects.toThrow();
    await plane().startApiServer();
    const ns = await core.readNamespace({ name: 'invoicing' });
    expect(ns.metadata?.name).toBe('invoicing');
  });
});
