/**
 * The operator and the Connections people sign in through (issue 12), on a real kube-apiserver: a `test`
 * Connection is refused with a condition that says what to declare instead, and an upstream Connection reads its
 * client secret from the Secret its `clientSecretRef` names (a Secret the informer keeps without data until a
 * Connection names it), waiting with a condition that names the Secret and key while either is missing.
 */
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
  startCluster,
  type Cluster,
  type Operator,
} from './operator-harness.ts';

const NS = 'people';
const UPSTREAM_SECRET = 'github-client-secret-never-in-status';

const connection = (name: string, spec: object): KubeObject => ({
  apiVersion: 'latchkey.dev/v1alpha1',
  kind: 'Connection',
  metadata: { name, namespace: NS },
  spec,
});

describe('the operator and Connections people sign in through (real kube-apiserver)', () => {
  let cluster: Cluster;
  let op: Operator;

  beforeAll(async () => {
    cluster = await startCluster();
    await createNamespace(cluster, NS);
    op = await operator(cluster);
    await op.whenReady();
  });

  afterAll(async () => {
    await op?.close();
    await cluster?.stop();
  });

  const ready = (name: string) => async () => conditionOf(await getObject(cluster, 'Connection', NS, name));

  it('refuses a test Connection with TestConnectionNotAllowed and serves no sign-in through it', async () => {
    await cluster.api.create(
      resourceOf('Connection'),
      NS,
      connection('test-people', {
        type: 'test',
        testUsers: [{ username: 'alice', password: 'alice-password' }],
      }),
    );
    const condition = await eventually(
      ready('test-people'),
      (c) => c?.reason === 'TestConnectionNotAllowed',
      'refused',
    );
    expect(condition).toMatchObject({
      status: 'False',
      message:
        'type test is for latchkey dev only: declare an oidc, github or google Connection in a cluster (the passwords of spec.testUsers are in plain text in the manifests)',
    });
    expect(op.store.current().connections.get(`${NS}/test-people`)).not.toHaveProperty('signIn');
  });

  it('waits for the Secret of clientSecretRef and its key, then signs in with the secret, which stays out of status and Events', async () => {
    // A Secret no Latchkey object names yet: the informer keeps it without its data.
    await cluster.api.create(CORE_SECRETS, NS, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'github-oauth' },
      stringData: { other: 'x' },
    });
    await cluster.api.create(
      resourceOf('Connection'),
      NS,
      connection('github', {
        type: 'github',
        clientId: 'Iv1.abc',
        clientSecretRef: { name: 'github-oauth' },
      }),
    );
    const waiting = await eventually(
      ready('github'),
      (c) => c?.message.includes('has no key') === true,
      'SecretMissing for the key',
    );
    expect(waiting).toMatchObject({
      status: 'False',
      message: 'Secret people/github-oauth has no key client_secret (spec.clientSecretRef.key)',
    });

    await cluster.api.patch(CORE_SECRETS, NS, 'github-oauth', {
      stringData: { client_secret: UPSTREAM_SECRET },
    });
    await eventually(ready('github'), (c) => c?.status === 'True', 'Ready');
    const signIn = op.store.current().connections.get(`${NS}/github`)?.signIn;
    expect(signIn).toMatchObject({
      clientId: 'Iv1.abc',
      clientSecret: UPSTREAM_SECRET,
      baseUrl: 'https://github.com',
    });

    const written = JSON.stringify([
      await getObject(cluster, 'Connection', NS, 'github'),
      await listAll(cluster, EVENTS, NS),
    ]);
    expect(written).toContain('SecretMissing');
    expect(written).not.toContain(UPSTREAM_SECRET);
  });
});
