/**
 * The `kubernetes` Connection check against a real kube-apiserver: its ServiceAccount issuer discovery and
 * keys, read through the API server with the real client, and the RBAC refusal a person can act on.
 */
import { createPublicKey } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKubeApi } from '../../src/kube/api.ts';
import { loadKubeConfig, type KubeConnection } from '../../src/kube/config.ts';
import type { KubeClient, KubeObject, ResourceType } from '../../src/kube/types.ts';
import { checkConnection } from '../../src/connections/issuer-check.ts';
import { checkKubernetesIssuer } from '../../src/connections/kubernetes-issuer.ts';
import type { ConnectionCheck } from '../../src/store/objects.ts';
import { startControlPlane, type ControlPlane } from './envtest.ts';

const CLUSTER_ROLE_BINDINGS: ResourceType = {
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  plural: 'clusterrolebindings',
  namespaced: false,
};

describe('checkKubernetesIssuer against a real API server', () => {
  let cp: ControlPlane | undefined;
  let admin: KubeClient | undefined;
  let anonymous: KubeClient | undefined;

  const plane = (): ControlPlane => {
    if (!cp) throw new Error('control plane not started');
    return cp;
  };
  const adminApi = (): KubeClient => {
    if (!admin) throw new Error('control plane not started');
    return admin;
  };
  const anonymousApi = (): KubeClient => {
    if (!anonymous) throw new Error('control plane not started');
    return anonymous;
  };

  beforeAll(async () => {
    cp = await startControlPlane();
    const connection = loadKubeConfig({ kubeconfig: cp.kubeconfigPath });
    admin = createKubeApi(connection);
    // The same API server without credentials: the user system:anonymous, whom no role binding names.
    const noCredentials: KubeConnection = {
      ...connection,
      cert: undefined,
      key: undefined,
      authorization: () => Promise.resolve(undefined),
    };
    anonymous = createKubeApi(noCredentials);
  }, 60 * 60_000);

  afterAll(async () => {
    await admin?.close();
    await anonymous?.close();
    await cp?.stop();
  }, 60_000);

  it("finds the cluster's ServiceAccount issuer and its signing key", async () => {
    const check = await checkKubernetesIssuer(adminApi());
    expect(check).toEqual({
      ok: true,
      issuer: plane().serviceAccountIssuer,
      jwksUri: expect.stringMatching(/^https:\/\/.+\/openid\/v1\/jwks$/),
      keys: 1,
      jwks: [
        expect.objectContaining(
          createPublicKey(plane().serviceAccountPublicKeyPem).export({ format: 'jwk' }),
        ),
      ],
    });
  });

  it('checks a Connection of type kubernetes through the same client', async () => {
    expect(await checkConnection({ type: 'kubernetes' }, { kube: adminApi() })).toEqual({
      ok: true,
      issuer: plane().serviceAccountIssuer,
      jwksUri: expect.any(String),
      keys: 1,
      jwks: [
        expect.objectContaining(
          createPublicKey(plane().serviceAccountPublicKeyPem).export({ format: 'jwk' }),
        ),
      ],
    });
  });

  it('names the ClusterRole to bind when RBAC refuses, and binding it is the fix', async () => {
    expect(await checkKubernetesIssuer(anonymousApi())).toEqual({
      ok: false,
      message:
        'GET /.well-known/openid-configuration on the API server answered 403 (forbidden: User ' +
        '"system:anonymous" cannot get path "/.well-known/openid-configuration"); ' +
        "bind Latchkey's ServiceAccount to the ClusterRole system:service-account-issuer-discovery",
    });

    await adminApi().create<KubeObject>(CLUSTER_ROLE_BINDINGS, undefined, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'latchkey-test-issuer-discovery' },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'system:service-account-issuer-discovery',
      },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'system:anonymous' }],
    });
    // The authorizer sees the new binding through its informer, a moment later.
    let check: ConnectionCheck = { ok: false, message: 'not checked' };
    for (let attempt = 0; attempt < 50; attempt++) {
      check = await checkKubernetesIssuer(anonymousApi());
      if (check.ok) break;
      await sleep(200);
    }
    expect(check).toEqual({
      ok: true,
      issuer: plane().serviceAccountIssuer,
      jwksUri: expect.any(String),
      keys: 1,
      jwks: [
        expect.objectContaining(
          createPublicKey(plane().serviceAccountPublicKeyPem).export({ format: 'jwk' }),
        ),
      ],
    });
  });
});
