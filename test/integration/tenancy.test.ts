import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/kube/types.ts';
import { resourceOf } from '../../src/operator/resources.ts';
import {
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

// Issue 9 items 3, 4 and 6 against a real kube-apiserver: who holds an identifier and a client id, and what an
// API's allowedNamespaces covers through a Role.

const api = (ns: string, name: string, extra: object = {}): KubeObject => ({
  apiVersion: 'latchkey.dev/v1alpha1',
  kind: 'ResourceServer',
  metadata: { name, namespace: ns },
  spec: { identifier: 'https://b.internal', scopes: [{ name: 'admin' }], ...extra },
});
const client = (ns: string, name: string, spec: object, meta: object = {}): KubeObject => ({
  apiVersion: 'latchkey.dev/v1alpha1',
  kind: 'OAuthClient',
  metadata: { name, namespace: ns, ...meta },
  spec,
});

describe('tenancy (real kube-apiserver)', () => {
  let cluster: Cluster;
  let op: Operator | undefined;

  beforeAll(async () => {
    cluster = await startCluster();
    for (const ns of ['team-a', 'team-b', 'outsider', 'tie-1', 'tie-2']) await createNamespace(cluster, ns);
    await createNamespace(cluster, 'partner', { partner: 'true' });
  });
  afterAll(async () => {
    await op?.close();
    await cluster?.stop();
  });

  const ready = (kind: 'ResourceServer' | 'OAuthClient', ns: string, name: string, reason = 'Reconciled') =>
    eventually(
      () => getObject(cluster, kind, ns, name),
      (o) => conditionOf(o)?.reason === reason,
      `${kind} ${ns}/${name} ${reason}`,
    );

  it('within one second, the ResourceServer whose status holds the identifier keeps it, across restarts', async () => {
    // Two claimants created in the same second (the API server's precision), before any operator runs.
    let pair: KubeObject[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      pair = [
        await cluster.api.create(
          resourceOf('ResourceServer'),
          'tie-1',
          api('tie-1', `api-${attempt}`, { identifier: 'https://tie' }),
        ),
        await cluster.api.create(
          resourceOf('ResourceServer'),
          'tie-2',
          api('tie-2', `api-${attempt}`, { identifier: 'https://tie' }),
        ),
      ];
      if (pair[0]?.metadata.creationTimestamp === pair[1]?.metadata.creationTimestamp) break;
      for (const o of pair)
        await cluster.api.delete(resourceOf('ResourceServer'), o.metadata.namespace, o.metadata.name);
    }
    expect(pair[0]?.metadata.creationTimestamp).toBe(pair[1]?.metadata.creationTimestamp);
    // The one with the larger uid is the holder an earlier operator recorded; uid order alone would pick the other.
    const [holder, other] = [...pair].sort((a, b) =>
      (a.metadata.uid ?? '') < (b.metadata.uid ?? '') ? 1 : -1,
    ) as [KubeObject, KubeObject];
    await cluster.api.patch(
      resourceOf('ResourceServer'),
      holder.metadata.namespace,
      holder.metadata.name,
      {
        status: {
          observedGeneration: holder.metadata.generation,
          conditions: [
            {
              type: 'Ready',
              status: 'True',
              reason: 'Reconciled',
              message: 'ResourceServer is in effect',
              observedGeneration: holder.metadata.generation,
              lastTransitionTime: holder.metadata.creationTimestamp,
            },
          ],
        },
      },
      { subresource: 'status' },
    );
    for (let restart = 0; restart < 2; restart++) {
      op = await operator(cluster);
      await op.whenReady();
      await ready(
        'ResourceServer',
        other.metadata.namespace ?? '',
        other.metadata.name,
        'IdentifierConflict',
      );
      expect(op.store.current().apis.get('https://tie')?.namespace).toBe(holder.metadata.namespace);
      expect(
        conditionOf(
          await getObject(cluster, 'ResourceServer', holder.metadata.namespace ?? '', holder.metadata.name),
        )?.reason,
      ).toBe('Reconciled');
      await op.close();
      op = undefined;
    }
  });

  it('a newcomer never takes over an identifier or a client id, and gets no Secret naming it', async () => {
    op = await operator(cluster);
    await op.whenReady();
    await cluster.api.create(resourceOf('ResourceServer'), 'team-b', api('team-b', 'api'));
    await cluster.api.create(
      resourceOf('OAuthClient'),
      'team-b',
      client('team-b', 'payments', {
        clientId: 'shared-payments',
        grants: [{ resourceServer: { name: 'api' }, scopes: ['admin'] }],
      }),
    );
    await ready('OAuthClient', 'team-b', 'payments');
    // Created a second later at least; the creationTimestamp it asks for is the API server's to set.
    await new Promise((r) => setTimeout(r, 1100));
    const old = { creationTimestamp: '1970-01-01T00:00:00Z' };
    await cluster.api.create(resourceOf('ResourceServer'), 'team-a', {
      ...api('team-a', 'api'),
      metadata: { name: 'api', namespace: 'team-a', ...old },
    });
    await cluster.api.create(
      resourceOf('OAuthClient'),
      'team-a',
      client(
        'team-a',
        'thief',
        { clientId: 'shared-payments', grants: [{ resourceServer: { name: 'api' }, scopes: ['admin'] }] },
        old,
      ),
    );
    await ready('ResourceServer', 'team-a', 'api', 'IdentifierConflict');
    await ready('OAuthClient', 'team-a', 'thief', 'ClientIdConflict');
    const secret = (await secretData(cluster, 'team-b', 'payments-oauth')) as Record<string, string>;
    const { answer, claims } = await tokenFromSecret(secret);
    expect(answer.status).toBe(200);
    expect(claims).toMatchObject({ client_id: 'shared-payments', aud: 'https://b.internal', scope: 'admin' });
    expect(await secretData(cluster, 'team-a', 'thief-oauth')).toBeUndefined();
  });

  it("refuses a custom client id in another namespace's default shape; that namespace's client gets it", async () => {
    await cluster.api.create(
      resourceOf('OAuthClient'),
      'team-a',
      client('team-a', 'squatter', { clientId: 'worker.team-b' }),
    );
    await ready('OAuthClient', 'team-a', 'squatter', 'ClientIdNotAllowed');
    await cluster.api.create(
      resourceOf('OAuthClient'),
      'team-b',
      client('team-b', 'worker', { grants: [{ resourceServer: { name: 'api' }, scopes: ['admin'] }] }),
    );
    await ready('OAuthClient', 'team-b', 'worker');
    const { answer, claims } = await tokenFromSecret(
      (await secretData(cluster, 'team-b', 'worker-oauth')) as Record<string, string>,
    );
    expect(answer.status).toBe(200);
    expect(claims).toMatchObject({ client_id: 'worker.team-b' });
    expect(await secretData(cluster, 'team-a', 'squatter-oauth')).toBeUndefined();
  });

  it("holds an API's allowedNamespaces for the client at the end of a Role chain", async () => {
    await cluster.api.create(
      resourceOf('ResourceServer'),
      'team-b',
      api('team-b', 'b-shared', {
        identifier: 'https://b-shared',
        allowedNamespaces: { matchLabels: { partner: 'true' } },
      }),
    );
    await cluster.api.create(resourceOf('Role'), 'partner', {
      apiVersion: 'latchkey.dev/v1alpha1',
      kind: 'Role',
      metadata: { name: 'relay', namespace: 'partner' },
      spec: {
        permissions: [{ resourceServer: { name: 'b-shared', namespace: 'team-b' }, scopes: ['admin'] }],
        allowedNamespaces: {},
      },
    });
    await cluster.api.create(
      resourceOf('OAuthClient'),
      'outsider',
      client('outsider', 'thief', { roles: [{ name: 'relay', namespace: 'partner' }] }),
    );
    const o = await ready('OAuthClient', 'outsider', 'thief', 'ReferenceNotAllowed');
    expect(conditionOf(o)?.message).toContain(
      'spec.roles[0]: ResourceServer team-b/b-shared does not allow references from namespace outsider (its spec.allowedNamespaces), reached through Role partner/relay',
    );
    const secret = await eventually(
      () => secretData(cluster, 'outsider', 'thief-oauth'),
      (s) => s !== undefined,
      'the Secret of outsider/thief',
    );
    const { answer } = await tokenFromSecret(secret as Record<string, string>, {
      audience: 'https://b-shared',
    });
    expect(answer.status).toBe(400);
  });
});
