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
  secretData,
  startCluster,
  tokenFromSecret,
  type Cluster,
  type Operator,
} from './operator-harness.ts';

const NS = 'rotation';
const CLIENT = resourceOf('OAuthClient');

interface RotationStatus {
  secretRotatedAt?: string;
  previousSecretValidUntil?: string;
  nextSecretRotationAt?: string;
}

describe('client secret rotation (real kube-apiserver)', () => {
  let cluster: Cluster;
  let leader: Operator;
  let follower: Operator;
  const running = new Set<Operator>();

  const client = (name: string, rotation: object) => ({
    apiVersion: 'latchkey.dev/v1alpha1',
    kind: 'OAuthClient',
    metadata: { name, namespace: NS },
    spec: {
      grants: [{ resourceServer: { name: 'orders' }, scopes: ['read'] }],
      secret: { rotation },
    },
  });
  /** The Secret's credentials, pointed at one replica's token endpoint. */
  const at = (op: Operator, creds: Record<string, string>) => ({
    ...creds,
    token_endpoint: op.tokenEndpoint,
    issuer: op.issuer,
  });
  const status = async (name: string) =>
    ((await getObject(cluster, 'OAuthClient', NS, name))?.['status'] ?? {}) as RotationStatus;
  const eventsOf = async (name: string, reason: string) =>
    (await listAll(cluster, EVENTS, NS)).filter(
      (e) => e['reason'] === reason && (e['regarding'] as { name: string }).name === name,
    );

  beforeAll(async () => {
    cluster = await startCluster();
    await createNamespace(cluster, NS);
    await cluster.api.create(resourceOf('ResourceServer'), NS, {
      apiVersion: 'latchkey.dev/v1alpha1',
      kind: 'ResourceServer',
      metadata: { name: 'orders', namespace: NS },
      spec: { identifier: 'https://orders.rotation', scopes: [{ name: 'read' }] },
    });
    leader = await operator(cluster, [], 'first');
    running.add(leader);
    await leader.whenReady();
    await eventually(async () => leader.isLeader(), Boolean, 'first operator leads');
    follower = await operator(cluster, [], 'second');
    running.add(follower);
    await follower.whenReady();
  });
  afterAll(async () => {
    for (const op of running) await op.close();
    await cluster?.stop();
  });

  it('rotates once per annotation value; the old secret works on every replica for gracePeriod, then is refused', async () => {
    await cluster.api.create(CLIENT, NS, client('worker', { gracePeriod: '15s' }));
    const old = (await eventually(
      () => secretData(cluster, NS, 'worker-oauth'),
      (d) => d?.['client_secret'] !== undefined,
      'the generated Secret',
    )) as Record<string, string>;
    await eventually(
      () => tokenFromSecret(at(leader, old)),
      (t) => t.answer.status === 200,
      'a token with the first secret',
    );

    await cluster.api.patch(CLIENT, NS, 'worker', {
      metadata: { annotations: { 'latchkey.dev/rotate-secret': 'first' } },
    });
    const rotated = (await eventually(
      () => secretData(cluster, NS, 'worker-oauth'),
      (d) => d?.['client_secret'] !== old['client_secret'],
      'a rotated Secret',
    )) as Record<string, string>;
    expect(rotated['previous_client_secret']).toBe(old['client_secret']);
    const secretObject = await cluster.api.get<KubeObject>(CORE_SECRETS, NS, 'worker-oauth');
    const annotations = secretObject?.metadata.annotations ?? {};
    expect(annotations['latchkey.dev/rotate-secret-handled']).toBe('first');
    const validUntil = annotations['latchkey.dev/previous-secret-valid-until'] as string;
    expect(Date.parse(validUntil)).toBeGreaterThan(
      Date.parse(annotations['latchkey.dev/secret-rotated-at'] as string),
    );

    // Once a replica serves the new secret, the old one still works there: the grace period.
    for (const op of [leader, follower]) {
      await eventually(
        () => tokenFromSecret(at(op, rotated)),
        (t) => t.answer.status === 200,
        `the new secret on ${op.identity}`,
      );
      expect((await tokenFromSecret(at(op, old))).answer.status).toBe(200);
    }
    const during = await eventually(
      () => status('worker'),
      (s) => s.previousSecretValidUntil === validUntil,
      'status during the grace period',
    );
    expect(during.secretRotatedAt).toBe(annotations['latchkey.dev/secret-rotated-at']);
    const [event] = await eventually(
      () => eventsOf('worker', 'SecretRotated'),
      (list) => list.length > 0,
      'SecretRotated event',
    );
    expect(event?.['note']).toBe(
      `secret rotated in Secret ${NS}/worker-oauth (annotation latchkey.dev/rotate-secret); previous valid until ${validUntil}`,
    );

    // The leader steps down during the grace period: its successor ends it from what the Secret records.
    await leader.close();
    running.delete(leader);
    await eventually(async () => follower.isLeader(), Boolean, 'the second operator leads');
    await eventually(
      () => tokenFromSecret(at(follower, old)),
      (t) => t.answer.status === 401 && t.answer.body['error'] === 'invalid_client',
      'the old secret refused after the grace period',
    );
    expect((await tokenFromSecret(at(follower, rotated))).answer.status).toBe(200);
    await eventually(
      () => secretData(cluster, NS, 'worker-oauth'),
      (d) => d !== undefined && !('previous_client_secret' in d),
      'the previous secret removed from the Secret',
    );
    await eventually(
      () => status('worker'),
      (s) => s.previousSecretValidUntil === undefined && s.secretRotatedAt !== undefined,
      'status after the grace period',
    );
    await eventually(
      () => eventsOf('worker', 'PreviousSecretExpired'),
      (list) => list.length > 0,
      'PreviousSecretExpired event',
    );

    // The new leader acted on this client (it removed the previous secret) without rotating it again.
    const after = await secretData(cluster, NS, 'worker-oauth');
    expect(after?.['client_secret']).toBe(rotated['client_secret']);
    expect(await eventsOf('worker', 'SecretRotated')).toHaveLength(1);

    const everything = JSON.stringify([
      await listAll(cluster, EVENTS, NS),
      await getObject(cluster, 'OAuthClient', NS, 'worker'),
    ]);
    expect(everything).not.toContain(old['client_secret']);
    expect(everything).not.toContain(rotated['client_secret']);
  });

  it.each([
    [{ interval: '5m' }, 'interval must be longer than gracePeriod'],
    [{ source: 'Existing', rotation: {} }, 'rotation is only for source Generate'],
  ])('the API server refuses secret %j', async (secret, message) => {
    const spec = 'source' in secret ? { secret } : { secret: { rotation: secret } };
    const refused = await cluster.api.create(CLIENT, NS, { ...client('refused', {}), spec }).then(
      () => undefined,
      (err: unknown) => String(err),
    );
    expect(refused).toContain(message);
  });

  it('rotates on its interval, scheduled on the work queue, and says when the next rotation is due', async () => {
    await cluster.api.create(CLIENT, NS, client('ticker', { interval: '3s', gracePeriod: '1s' }));
    const seen = new Set<string>();
    await eventually(
      async () => {
        const d = await secretData(cluster, NS, 'ticker-oauth');
        if (d?.['client_secret'] !== undefined) seen.add(d['client_secret']);
        return seen.size;
      },
      (n) => n >= 3,
      'two scheduled rotations',
    );
    // The operator records the Event after it wrote the Secret: the second may not be there yet.
    const rotations = await eventually(
      () => eventsOf('ticker', 'SecretRotated'),
      (events) => events.length >= 2,
      'an Event for each of the two rotations',
    );
    expect(rotations[0]?.['note']).toContain('(spec.secret.rotation.interval); previous valid until ');
    const s = await status('ticker');
    expect(Date.parse(s.nextSecretRotationAt as string)).toBeGreaterThan(
      Date.parse(s.secretRotatedAt as string),
    );
    expect(conditionOf(await getObject(cluster, 'OAuthClient', NS, 'ticker'))?.status).toBe('True');
    await cluster.api.delete(CLIENT, NS, 'ticker');
  });
});
