import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLUSTER_REFUSALS } from '../examples/dev-only.ts';
import {
  conditionOf,
  createCorpSsoSecret,
  declaredIn,
  eventually,
  examplesWithIssuer,
  getObject,
  operator,
  secretData,
  startCluster,
  startUpstreamIssuer,
  tokenFromSecret,
  type Cluster,
  type Operator,
  type UpstreamIssuer,
} from './operator-harness.ts';

const run = promisify(execFile);

describe('latchkey operator on the examples (real kube-apiserver)', () => {
  let cluster: Cluster | undefined;
  let op: Operator | undefined;
  let upstream: UpstreamIssuer | undefined;
  let examples: { dir: string; cleanup(): Promise<void> } | undefined;

  beforeAll(async () => {
    cluster = await startCluster();
    // A real OpenID issuer on this machine for the oidc Connection: Latchkey's own dev mode.
    upstream = await startUpstreamIssuer();
    examples = await examplesWithIssuer(upstream.issuer);
    op = await operator(cluster);
    await op.whenReady();
  });

  it('answers /readyz once the caches synced and the keys are loaded', async () => {
    const res = await fetch(`http://127.0.0.1:${(op as Operator).opsPort}/readyz`);
    expect(res.status).toBe(200);
  });

  afterAll(async () => {
    await op?.close();
    await upstream?.close();
    await examples?.cleanup();
    await cluster?.stop();
  });

  it(
    'makes every object of the examples Ready after one `kubectl apply -R`, but those of dev-only scenarios',
    { timeout: 120_000 },
    async () => {
      const c = cluster as Cluster;
      // The examples README's command, in one go: each folder's 00-namespaces.yaml must sort before the rest.
      await run('kubectl', [
        '--kubeconfig',
        c.cp.kubeconfigPath,
        'apply',
        '--server-side',
        '--field-manager',
        'gitops',
        '-R',
        '-f',
        (examples as { dir: string }).dir,
      ]);
      // The Secret examples/oidc-connection/README.md has you create beside the manifests.
      await createCorpSsoSecret(c);
      const declared = await declaredIn((examples as { dir: string }).dir);
      // Every scenario folder is found below examples/, not only the top level.
      expect(new Set(declared.map(([, namespace]) => namespace))).toEqual(
        new Set([
          'orders',
          'payments',
          'invoicing',
          'tenants',
          'analytics',
          'backoffice',
          'warehouse',
          'notes',
        ]),
      );
      // people-sign-in is for latchkey dev: the operator refuses its test Connection and says so on what offers it.
      for (const [kind, namespace, name] of declared) {
        const reason = CLUSTER_REFUSALS[`${kind}/${namespace}/${name}`] ?? 'Reconciled';
        const o = await eventually(
          () => getObject(c, kind, namespace, name),
          (x) => conditionOf(x)?.reason === reason,
          `${kind} ${namespace}/${name} ${reason}`,
        );
        expect(conditionOf(o)).toMatchObject({
          status: reason === 'Reconciled' ? 'True' : 'False',
          reason,
          observedGeneration: 1,
        });
      }
    },
  );

  it('writes a Secret whose credentials get a token that verifies against the JWKS', async () => {
    const data = await eventually(
      () => secretData(cluster as Cluster, 'orders', 'orders-service-oauth'),
      (d) => d !== undefined,
      'generated Secret',
    );
    expect(Object.keys(data ?? {}).sort()).toEqual([
      'client_id',
      'client_secret',
      'issuer',
      'token_endpoint',
    ]);
    const { answer, claims } = await tokenFromSecret(data as Record<string, string>, {
      audience: 'https://payments.internal',
    });
    expect(answer.status).toBe(200);
    expect(claims).toMatchObject({
      client_id: 'orders-service.orders',
      aud: 'https://payments.internal',
      scope: 'payments:read payments:charge',
    });
  });
});
