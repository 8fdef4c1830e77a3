/**
 * An issuer's key rotation against a real kube-apiserver: an `oidc` Connection whose issuer is a small HTTP
 * server of this test, trusted by an OAuthClient's `federatedIdentities`. When the issuer's JWKS moves to a
 * new key, a token naming it makes the operator check the Connection again early, long before its hourly
 * check, so a retry is accepted.
 */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resourceOf } from '../../src/operator/resources.ts';
import { signer, startIssuer, type Signer, type TestIssuer } from '../support/oidc-issuer.ts';
import {
  conditionOf,
  createNamespace,
  eventually,
  getObject,
  operator,
  requestToken,
  startCluster,
  type Cluster,
  type Operator,
} from './operator-harness.ts';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const NS = 'ci';
const CLIENT_ID = `deployer.${NS}`;
const SUBJECT = 'repo:acme/app:ref:refs/heads/main';

describe('an oidc issuer rotating its signing key (real kube-apiserver)', () => {
  let cluster: Cluster;
  let op: Operator;
  let upstream: TestIssuer;
  let keyA: Signer;
  let keyB: Signer;
  let keyC: Signer;

  /** A CI token for the Latchkey replica `at`, which answers at an issuer URL of its own. */
  const ciToken = (key: Signer, at: Operator) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ iss: upstream.issuer, sub: SUBJECT, aud: [at.issuer], iat: now, exp: now + 600 })
      .setProtectedHeader({ alg: 'RS256', kid: key.kid })
      .sign(key.privateKey);
  };
  const exchange = async (key: Signer, at: Operator = op) =>
    requestToken(at.tokenEndpoint, {
      grant_type: 'client_credentials',
      client_id: CLIENT_ID,
      client_assertion_type: JWT_BEARER,
      client_assertion: await ciToken(key, at),
    });

  beforeAll(async () => {
    [keyA, keyB, keyC] = await Promise.all([signer('ci-a'), signer('ci-b'), signer('ci-c')]);
    upstream = await startIssuer();
    upstream.publish([keyA.jwk]);
    cluster = await startCluster();
    await createNamespace(cluster, NS);
    op = await operator(cluster);
    await op.whenReady();
    await cluster.api.create(resourceOf('ResourceServer'), NS, {
      apiVersion: 'latchkey.dev/v1alpha1',
      kind: 'ResourceServer',
      metadata: { name: 'deployments', namespace: NS },
      spec: { identifier: 'https://deployments', scopes: [{ name: 'deploy' }] },
    });
    await cluster.api.create(resourceOf('Connection'), NS, {
      apiVersion: 'latchkey.dev/v1alpha1',
      kind: 'Connection',
      metadata: { name: 'actions', namespace: NS },
      spec: { type: 'oidc', issuer: upstream.issuer },
    });
    await cluster.api.create(resourceOf('OAuthClient'), NS, {
      apiVersion: 'latchkey.dev/v1alpha1',
      kind: 'OAuthClient',
      metadata: { name: 'deployer', namespace: NS },
      spec: {
        tokenEndpointAuthMethod: 'private_key_jwt',
        grantTypes: ['client_credentials'],
        federatedIdentities: [{ connection: { name: 'actions' }, subject: SUBJECT }],
        grants: [{ resourceServer: { name: 'deployments' }, scopes: ['deploy'] }],
      },
    });
  });
  afterAll(async () => {
    await op?.close();
    await cluster?.stop();
    await upstream?.close();
  });

  it('accepts tokens of the new key soon after the issuer published it, and refuses those of the old one', async () => {
    await eventually(
      () => getObject(cluster, 'Connection', NS, 'actions'),
      (o) => conditionOf(o)?.status === 'True',
      'Connection Ready',
    );
    const before = await eventually(
      () => exchange(keyA),
      (a) => a.status === 200,
      'token for a CI token signed with key A',
    );
    expect(before.body['scope']).toBe('deploy');

    // The issuer rotates: key B replaces key A. The operator's last check found only A.
    upstream.publish([keyB.jwk]);
    expect(await exchange(keyB)).toEqual({
      status: 401,
      body: {
        error: 'invalid_client',
        error_description: `client_assertion 'kid' 'ci-b' is not a known key of issuer '${upstream.issuer}': its keys are being refreshed, retry shortly`,
      },
    });
    // The refusal asked for an early check; the next periodic one is an hour away.
    const after = await eventually(
      () => exchange(keyB),
      (a) => a.status === 200,
      'token for a CI token signed with key B',
    );
    expect(after.body['scope']).toBe('deploy');
    expect(await exchange(keyA)).toMatchObject({
      status: 401,
      body: { error: 'invalid_client' },
    });
  });

  it('lets a follower replica, which checks the issuer for its own keys, pick up a rotation early too', async () => {
    const follower = await operator(cluster, [], 'follower');
    try {
      await follower.whenReady();
      expect(follower.isLeader()).toBe(false);
      await eventually(
        () => exchange(keyB, follower),
        (a) => a.status === 200,
        'token from the follower for key B',
      );
      upstream.publish([keyC.jwk]);
      expect((await exchange(keyC, follower)).status).toBe(401);
      await eventually(
        () => exchange(keyC, follower),
        (a) => a.status === 200,
        'token from the follower for key C',
      );
    } finally {
      await follower.close();
    }
  });
});
