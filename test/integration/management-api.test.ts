import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/kube/types.ts';
import { resourceOf } from '../../src/operator/resources.ts';
import {
  OPERATOR_NAMESPACE,
  conditionOf,
  createNamespace,
  eventually,
  getObject,
  operator,
  secretData,
  startCluster,
  tokenFromSecret,
  type Cluster,
  type Operator,
} from './operator-harness.ts';

// Issue 14, first part, against a real kube-apiserver: the operator serves the management API from what its
// informers see, with the API server's creation times and the conditions it writes.

const object = (kind: string, ns: string, name: string, spec: object): KubeObject => ({
  apiVersion: 'latchkey.dev/v1alpha1',
  kind,
  metadata: { name, namespace: ns },
  spec,
});
const management = (scopes: string[]) => ({
  grants: [{ resourceServer: { name: 'management-api', namespace: OPERATOR_NAMESPACE }, scopes }],
});

describe('management API (real kube-apiserver)', () => {
  let cluster: Cluster;
  let op: Operator | undefined;

  beforeAll(async () => {
    cluster = await startCluster();
    for (const ns of ['team-a', 'team-b']) await createNamespace(cluster, ns);
    for (const o of [
      object(
        'OAuthClient',
        OPERATOR_NAMESPACE,
        'platform-automation',
        management(['read:clients', 'read:resource_servers']),
      ),
      object('OAuthClient', 'team-a', 'team-a-automation', management(['read:clients'])),
      object('OAuthClient', 'team-b', 'worker', {
        grants: [{ resourceServer: { name: 'ledger' }, scopes: ['ledger:read'] }],
      }),
      object('ResourceServer', 'team-b', 'ledger', {
        identifier: 'https://ledger.internal',
        scopes: [{ name: 'ledger:read' }],
      }),
      object('ResourceServer', OPERATOR_NAMESPACE, 'management-api', { identifier: 'https://mine.internal' }),
    ]) {
      await cluster.api.create(resourceOf(o.kind as 'OAuthClient'), o.metadata.namespace, o);
    }
    op = await operator(cluster);
    // A Secret can be written before the signing keys are in force: tokens are asked for once the operator is ready.
    await op.whenReady();
  });
  afterAll(async () => {
    await op?.close();
    await cluster?.stop();
  });

  async function tokenOf(namespace: string, name: string): Promise<{ token: string; api: string }> {
    const data = await eventually(
      () => secretData(cluster, namespace, `${name}-oauth`),
      (d) => d !== undefined,
      `Secret ${namespace}/${name}-oauth`,
    );
    const api = `${data?.['issuer']}/api/v1`;
    const { answer } = await tokenFromSecret(data as Record<string, string>, { audience: api });
    expect(answer.status).toBe(200);
    return { token: answer.body['access_token'] as string, api };
  }

  const get = async (url: string, token: string) => {
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('lists every namespace’s clients to the Latchkey namespace’s client, with the API server’s times and conditions', async () => {
    const { token, api } = await tokenOf(OPERATOR_NAMESPACE, 'platform-automation');
    const { status, body } = await get(
      `${api}/clients?sort=namespace&fields=client_id,created_at,ready`,
      token,
    );
    expect(status).toBe(200);
    expect(body.meta).toEqual({ page: 1, page_size: 20, total: 3 });
    const items = body.items as { client_id: string; created_at: string; ready: boolean }[];
    expect(items.map((i) => i.client_id)).toEqual([
      'platform-automation.latchkey-system',
      'team-a-automation.team-a',
      'worker.team-b',
    ]);
    for (const i of items) expect(i.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('shows a ResourceServer that takes the built-in name as the operator reports it: NameReserved', async () => {
    await eventually(
      () => getObject(cluster, 'ResourceServer', OPERATOR_NAMESPACE, 'management-api'),
      (o) => conditionOf(o)?.reason === 'NameReserved',
      'ResourceServer latchkey-system/management-api NameReserved',
    );
    const { token, api } = await tokenOf(OPERATOR_NAMESPACE, 'platform-automation');
    const { body } = await get(
      `${api}/resource-servers/${encodeURIComponent(`${OPERATOR_NAMESPACE}/management-api`)}`,
      token,
    );
    expect(body).toMatchObject({ identifier: 'https://mine.internal', ready: false });
  });

  it('gives a team’s client its own namespace only', async () => {
    const { token, api } = await tokenOf('team-a', 'team-a-automation');
    const { body } = await get(`${api}/clients?fields=client_id`, token);
    expect(body.items).toEqual([{ client_id: 'team-a-automation.team-a' }]);
    expect((await get(`${api}/clients/worker.team-b`, token)).status).toBe(404);
  });
});
