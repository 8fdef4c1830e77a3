import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORE_SECRETS, EVENTS, type KubeObject } from '../../src/kube/types.ts';
import { resourceOf } from '../../src/operator/resources.ts';
import {
  conditionOf,
  createNamespace,
  eventually,
  getObject,
  listAll,
  operator,
  requestToken,
  secretData,
  startCluster,
  tokenFromSecret,
  type Cluster,
  type Operator,
} from './operator-harness.ts';

const API = resourceOf('ResourceServer');
const ROLE = resourceOf('Role');
const CLIENT = resourceOf('OAuthClient');

function api(ns: string, name: string, identifier: string, extra: object = {}): KubeObject {
  return {
    apiVersion: 'latchkey.dev/v1alpha1',
    kind: 'ResourceServer',
    metadata: { name, namespace: ns },
    spec: { identifier, scopes: [{ name: 'read' }, { name: 'write' }, { name: 'admin' }], ...extra },
  };
}
function client(ns: string, name: string, spec: object): KubeObject {
  return {
    apiVersion: 'latchkey.dev/v1alpha1',
    kind: 'OAuthClient',
    metadata: { name, namespace: ns },
    spec,
  };
}

describe('latchkey operator reconciling changes (real kube-apiserver)', () => {
  let cluster: Cluster;
  let op: Operator;

  const ready = (kind: Parameters<typeof getObject>[1], ns: string, name: string, generation?: number) =>
    eventually(
      async () => (await getObject(cluster, kind, ns, name)) as KubeObject,
      (o) =>
        conditionOf(o)?.status === 'True' &&
        (generation === undefined || conditionOf(o)?.observedGeneration === generation),
      `${kind} ${ns}/${name} Ready${generation ? ` at generation ${generation}` : ''}`,
    );
  const secretOf = (ns: string, name: string) =>
    eventually(
      () => secretData(cluster, ns, name),
      (d) => d?.['client_secret'] !== undefined,
      `Secret ${ns}/${name}`,
    ) as Promise<Record<string, string>>;

  beforeAll(async () => {
    cluster = await startCluster();
    for (const name of ['team-a', 'team-b']) {
      await createNamespace(cluster, name, { team: name });
    }
    op = await operator(cluster);
    await op.whenReady();
  });
  afterAll(async () => {
    await op?.close();
    await cluster?.stop();
  });

  it('follows a change of grants and of a Role into the next token, and observedGeneration with it', async () => {
    await cluster.api.create(API, 'team-a', api('team-a', 'orders', 'https://orders'));
    await cluster.api.create(ROLE, 'team-a', {
      apiVersion: 'latchkey.dev/v1alpha1',
      kind: 'Role',
      metadata: { name: 'writer', namespace: 'team-a' },
      spec: { permissions: [{ resourceServer: { name: 'orders' }, scopes: ['write'] }] },
    });
    await cluster.api.create(
      CLIENT,
      'team-a',
      client('team-a', 'worker', { grants: [{ resourceServer: { name: 'orders' }, scopes: ['read'] }] }),
    );
    await ready('OAuthClient', 'team-a', 'worker', 1);
    const creds = await secretOf('team-a', 'worker-oauth');
    expect((await tokenFromSecret(creds)).claims?.['scope']).toBe('read');

    await cluster.api.patch(CLIENT, 'team-a', 'worker', { spec: { roles: [{ name: 'writer' }] } });
    const updated = await ready('OAuthClient', 'team-a', 'worker', 2);
    expect((updated['status'] as { observedGeneration: number }).observedGeneration).toBe(2);
    await eventually(
      () => tokenFromSecret(creds),
      (t) => t.claims?.['scope'] === 'read write',
      'role in the token',
    );

    await cluster.api.patch(ROLE, 'team-a', 'writer', {
      spec: { permissions: [{ resourceServer: { name: 'orders' }, scopes: ['write', 'admin'] }] },
    });
    await eventually(
      () => tokenFromSecret(creds),
      (t) => t.claims?.['scope'] === 'read write admin',
      'changed role in the token',
    );
  });

  it('reports a dangling reference and heals when the target appears, without touching the referrer', async () => {
    await cluster.api.create(
      CLIENT,
      'team-a',
      client('team-a', 'early', { grants: [{ resourceServer: { name: 'later' }, scopes: ['read'] }] }),
    );
    const broken = await eventually(
      () => getObject(cluster, 'OAuthClient', 'team-a', 'early'),
      (o) => conditionOf(o)?.reason === 'ReferenceNotFound',
      'dangling reference reported',
    );
    expect(conditionOf(broken)).toMatchObject({
      status: 'False',
      message: 'spec.grants[0]: ResourceServer team-a/later not found or not ready',
    });
    const creds = await secretOf('team-a', 'early-oauth');
    expect((await tokenFromSecret(creds)).answer).toMatchObject({ status: 400 });

    await cluster.api.create(API, 'team-a', api('team-a', 'later', 'https://later'));
    const healed = await ready('OAuthClient', 'team-a', 'early');
    expect(healed.metadata.generation).toBe(1);
    expect((await tokenFromSecret(creds)).claims).toMatchObject({ aud: 'https://later', scope: 'read' });
  });

  it('refuses a reference into another namespace until the target allows it', async () => {
    await cluster.api.create(API, 'team-b', api('team-b', 'billing', 'https://billing'));
    await cluster.api.create(
      CLIENT,
      'team-a',
      client('team-a', 'intruder', {
        grants: [{ resourceServer: { name: 'billing', namespace: 'team-b' }, scopes: ['admin'] }],
      }),
    );
    const refused = await eventually(
      () => getObject(cluster, 'OAuthClient', 'team-a', 'intruder'),
      (o) => conditionOf(o)?.reason === 'ReferenceNotAllowed',
      'forbidden reference reported',
    );
    expect(conditionOf(refused)?.message).toBe(
      'spec.grants[0]: ResourceServer team-b/billing does not allow references from namespace team-a (its spec.allowedNamespaces)',
    );
    const creds = await secretOf('team-a', 'intruder-oauth');
    expect((await tokenFromSecret(creds, { audience: 'https://billing' })).answer.body['error']).toBe(
      'invalid_target',
    );

    await cluster.api.patch(API, 'team-b', 'billing', {
      spec: { allowedNamespaces: { matchLabels: { team: 'team-a' } } },
    });
    await ready('OAuthClient', 'team-a', 'intruder');
    expect((await tokenFromSecret(creds, { audience: 'https://billing' })).claims?.['scope']).toBe('admin');
  });

  it('issues a new secret when the generated Secret is deleted; the old one stops working', async () => {
    await cluster.api.create(
      CLIENT,
      'team-a',
      client('team-a', 'rotator', { grants: [{ resourceServer: { name: 'orders' }, scopes: ['read'] }] }),
    );
    const old = await secretOf('team-a', 'rotator-oauth');
    expect((await tokenFromSecret(old)).answer.status).toBe(200);
    const secretObject = await cluster.api.get<KubeObject>(CORE_SECRETS, 'team-a', 'rotator-oauth');
    const owner = await getObject(cluster, 'OAuthClient', 'team-a', 'rotator');
    expect(secretObject?.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'latchkey.dev/v1alpha1',
        kind: 'OAuthClient',
        name: 'rotator',
        uid: owner?.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(secretObject?.metadata.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'latchkey',
      'latchkey.dev/oauthclient': 'rotator',
    });

    await cluster.api.delete(CORE_SECRETS, 'team-a', 'rotator-oauth');
    const fresh = await eventually(
      () => secretData(cluster, 'team-a', 'rotator-oauth'),
      (d) => d?.['client_secret'] !== undefined && d['client_secret'] !== old['client_secret'],
      'a new secret',
    );
    await eventually(
      () => tokenFromSecret(fresh as Record<string, string>),
      (t) => t.answer.status === 200,
      'new secret works',
    );
    expect((await tokenFromSecret(old)).answer).toMatchObject({
      status: 401,
      body: { error: 'invalid_client' },
    });
    const events = await eventually(
      () => listAll(cluster, EVENTS, 'team-a'),
      (list) => list.some((e) => e['reason'] === 'SecretRecreated'),
      'SecretRecreated event',
    );
    const recreated = events.find((e) => e['reason'] === 'SecretRecreated');
    expect(recreated).toMatchObject({ type: 'Normal', regarding: { kind: 'OAuthClient', name: 'rotator' } });
    expect(JSON.stringify(events)).not.toContain(fresh?.['client_secret']);
  });

  it('waits for a Secret someone else writes (source: Existing), and follows its edits at once', async () => {
    await cluster.api.create(
      CLIENT,
      'team-a',
      client('team-a', 'external', {
        secret: { source: 'Existing', name: 'from-vault' },
        grants: [{ resourceServer: { name: 'orders' }, scopes: ['read'] }],
      }),
    );
    const waiting = await eventually(
      () => getObject(cluster, 'OAuthClient', 'team-a', 'external'),
      (o) => conditionOf(o, 'SecretReady')?.reason === 'SecretMissing',
      'waiting for the Secret',
    );
    expect(conditionOf(waiting, 'SecretReady')?.message).toBe(
      'waiting for Secret team-a/from-vault to be written (spec.secret.source is Existing)',
    );
    expect(await cluster.api.get(CORE_SECRETS, 'team-a', 'from-vault')).toBeUndefined();

    const first = 'a'.repeat(40);
    await cluster.api.create(CORE_SECRETS, 'team-a', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'from-vault', namespace: 'team-a' },
      stringData: { client_secret: first },
    });
    await ready('OAuthClient', 'team-a', 'external');
    const form = { client_id: 'external.team-a', grant_type: 'client_credentials' };
    await eventually(
      () => requestToken(op.tokenEndpoint, { ...form, client_secret: first }),
      (t) => t.status === 200,
      'existing secret works',
    );

    const second = 'b'.repeat(40);
    await cluster.api.patch(CORE_SECRETS, 'team-a', 'from-vault', { stringData: { client_secret: second } });
    await eventually(
      () => requestToken(op.tokenEndpoint, { ...form, client_secret: second }),
      (t) => t.status === 200,
      'edited secret works',
    );
    expect((await requestToken(op.tokenEndpoint, { ...form, client_secret: first })).status).toBe(401);
  });

  it('forgets a deleted OAuthClient at once', async () => {
    await cluster.api.create(
      CLIENT,
      'team-a',
      client('team-a', 'doomed', { grants: [{ resourceServer: { name: 'orders' }, scopes: ['read'] }] }),
    );
    const creds = await secretOf('team-a', 'doomed-oauth');
    await eventually(
      () => tokenFromSecret(creds),
      (t) => t.answer.status === 200,
      'token before deletion',
    );
    await cluster.api.delete(CLIENT, 'team-a', 'doomed');
    await eventually(
      () => tokenFromSecret(creds),
      (t) => t.answer.status === 401,
      'refused after deletion',
      5_000,
    );
  });

  it('gives a client id to the older of two clients and warns about the newer', async () => {
    await cluster.api.create(CLIENT, 'team-a', client('team-a', 'first', { clientId: 'shared-id' }));
    await ready('OAuthClient', 'team-a', 'first');
    await new Promise((r) => setTimeout(r, 1100)); // creationTimestamp has seconds precision
    await cluster.api.create(CLIENT, 'team-b', client('team-b', 'second', { clientId: 'shared-id' }));
    const second = await eventually(
      () => getObject(cluster, 'OAuthClient', 'team-b', 'second'),
      (o) => conditionOf(o)?.reason === 'ClientIdConflict',
      'conflict reported',
    );
    expect(conditionOf(second)?.message).toBe(
      'client id shared-id is already used by OAuthClient team-a/first',
    );
    await eventually(
      () => listAll(cluster, EVENTS, 'team-b'),
      (list) => list.some((e) => e['reason'] === 'ClientIdConflict' && e['type'] === 'Warning'),
      'ClientIdConflict event',
    );
  });

  it('reports an oidc Connection whose issuer cannot be reached, and keeps retrying', async () => {
    await cluster.api.create(resourceOf('Connection'), 'team-a', {
      apiVersion: 'latchkey.dev/v1alpha1',
      kind: 'Connection',
      metadata: { name: 'gone', namespace: 'team-a' },
      spec: { type: 'oidc', issuer: 'http://127.0.0.1:9' },
    });
    const o = await eventually(
      () => getObject(cluster, 'Connection', 'team-a', 'gone'),
      (x) => conditionOf(x)?.reason === 'IssuerUnreachable',
      'unreachable issuer reported',
    );
    expect(conditionOf(o)).toMatchObject({ status: 'False' });
    // Refused, timed out or answered 403 read the same: the status must not make a port scanner.
    expect(conditionOf(o)?.message).toBe(
      'could not fetch the discovery document at http://127.0.0.1:9/.well-known/openid-configuration: ' +
        'no 200 answer with a JSON object (redirects are not followed)',
    );
    await eventually(
      async () => (await fetch(`http://127.0.0.1:${op.opsPort}/metrics`)).text(),
      (text) => /workqueue_retries_total\{name="connection",controller="connection"\} [1-9]/.test(text),
      'the check is retried with backoff',
    );
  });

  it('writes status only when it changed', async () => {
    const before = await ready('OAuthClient', 'team-a', 'worker');
    await new Promise((r) => setTimeout(r, 3000));
    const after = await getObject(cluster, 'OAuthClient', 'team-a', 'worker');
    expect(after?.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });

  it('exposes controller-runtime metrics and leader status', async () => {
    const text = await (await fetch(`http://127.0.0.1:${op.opsPort}/metrics`)).text();
    expect(text).toMatch(/workqueue_adds_total\{name="oauthclient",controller="oauthclient"\} [1-9]/);
    expect(text).toMatch(
      /controller_runtime_reconcile_total\{controller="oauthclient",result="success"\} [1-9]/,
    );
    expect(text).toMatch(/workqueue_depth\{name="resourceserver",controller="resourceserver"\} 0/);
    expect(text).toMatch(/leader_election_master_status\{name="latchkey-operator"\} 1/);
  });

  it("exposes objects not Ready, failing Connections and the signing keys' age (docs/metrics.md)", async () => {
    const text = await eventually(
      async () => (await fetch(`http://127.0.0.1:${op.opsPort}/metrics`)).text(),
      (t) => /^latchkey_connections_failing\{connection_namespace="team-a"\} [1-9]/m.test(t),
      'the unreachable Connection counted as failing',
    );
    expect(text).toMatch(
      /^latchkey_objects_not_ready\{kind="Connection",reason="IssuerUnreachable"\} [1-9]/m,
    );
    expect(text).toMatch(/^latchkey_objects\{kind="OAuthClient"\} [1-9]/m);
    for (const alg of ['RS256', 'ES256', 'EdDSA']) {
      expect(text).toMatch(new RegExp(`^latchkey_signing_key_age_seconds\\{alg="${alg}"\\} \\d+$`, 'm'));
    }
    expect(text).toMatch(/^latchkey_signing_key_rotation_interval_seconds \d+$/m);
  });
});
