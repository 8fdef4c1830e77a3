/**
 * Secretless workloads against a real kube-apiserver: a `kubernetes` Connection, an OAuthClient with a
 * federated identity for ServiceAccount apps/worker, and ServiceAccount tokens minted with the TokenRequest
 * API exchanged at the token endpoint.
 */
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { createPrivateKey } from 'node:crypto';
import {
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  generateKeyPair,
  jwtVerify,
  SignJWT,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORE_SECRETS, type KubeObject } from '../../src/kube/types.ts';
import { resourceOf } from '../../src/operator/resources.ts';
import {
  conditionOf,
  createNamespace,
  eventually,
  getObject,
  listAll,
  operator,
  requestToken,
  startCluster,
  type Cluster,
  type Operator,
} from './operator-harness.ts';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const NS = 'apps';
const CLIENT_ID = `worker.${NS}`;

describe('workload federation with ServiceAccount tokens (real kube-apiserver)', () => {
  let cluster: Cluster;
  let op: Operator;
  let core: CoreV1Api;

  const mint = async (serviceAccount: string, audience: string): Promise<string> => {
    const answer = await core.createNamespacedServiceAccountToken({
      name: serviceAccount,
      namespace: NS,
      body: { spec: { audiences: [audience], expirationSeconds: 3600 } },
    });
    const token = answer.status?.token;
    if (token === undefined) throw new Error('TokenRequest returned no token');
    return token;
  };
  const exchange = (assertion: string) =>
    requestToken(op.tokenEndpoint, {
      grant_type: 'client_credentials',
      client_id: CLIENT_ID,
      client_assertion_type: JWT_BEARER,
      client_assertion: assertion,
    });

  beforeAll(async () => {
    cluster = await startCluster();
    const kc = new KubeConfig();
    kc.loadFromFile(cluster.cp.kubeconfigPath);
    core = kc.makeApiClient(CoreV1Api);
    await createNamespace(cluster, NS);
    for (const name of ['worker', 'intruder']) {
      await core.createNamespacedServiceAccount({ namespace: NS, body: { metadata: { name } } });
    }
    op = await operator(cluster);
    await op.whenReady();
    await cluster.api.create(resourceOf('ResourceServer'), NS, {
      apiVersion: 'latchkey.dev/v1alpha1',
      kind: 'ResourceServer',
      metadata: { name: 'orders', namespace: NS },
      spec: { identifier: 'https://orders', scopes: [{ name: 'read' }] },
    });
    await cluster.api.create(resourceOf('Connection'), NS, {
      apiVersion: 'latchkey.dev/v1alpha1',
      kind: 'Connection',
      metadata: { name: 'cluster', namespace: NS },
      spec: { type: 'kubernetes' },
    });
    await cluster.api.create(resourceOf('OAuthClient'), NS, {
      apiVersion: 'latchkey.dev/v1alpha1',
      kind: 'OAuthClient',
      metadata: { name: 'worker', namespace: NS },
      spec: {
        tokenEndpointAuthMethod: 'private_key_jwt',
        grantTypes: ['client_credentials', JWT_BEARER_GRANT, TOKEN_EXCHANGE_GRANT],
        federatedIdentities: [
          { connection: { name: 'cluster' }, subject: `system:serviceaccount:${NS}:worker` },
        ],
        grants: [{ resourceServer: { name: 'orders' }, scopes: ['read'] }],
      },
    });
  });
  afterAll(async () => {
    await op?.close();
    await cluster?.stop();
  });

  it('exchanges a ServiceAccount token for an access token, and refuses other tokens', async () => {
    const connection = await eventually(
      () => getObject(cluster, 'Connection', NS, 'cluster'),
      (o) => conditionOf(o)?.status === 'True',
      'Connection Ready',
    );
    expect((connection?.['status'] as { issuer?: string }).issuer).toBe(cluster.cp.serviceAccountIssuer);
    await eventually(
      () => getObject(cluster, 'OAuthClient', NS, 'worker'),
      (o) => conditionOf(o)?.status === 'True',
      'OAuthClient Ready',
    );

    const issuer = op.issuer;
    const good = await mint('worker', issuer);
    const answer = await eventually(
      () => exchange(good),
      (a) => a.status === 200,
      'token for the ServiceAccount token',
    );
    const { payload } = await jwtVerify(
      answer.body['access_token'] as string,
      createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`)),
      { issuer, audience: 'https://orders', typ: 'at+jwt' },
    );
    expect(payload).toMatchObject({ sub: CLIENT_ID, client_id: CLIENT_ID, scope: 'read' });
    // The same ServiceAccount token works again: it is reused until it rotates.
    expect((await exchange(good)).status).toBe(200);

    expect(await exchange(await mint('intruder', issuer))).toEqual({
      status: 401,
      body: {
        error: 'invalid_client',
        error_description: 'client authentication failed',
      },
    });
    expect(await exchange(await mint('worker', 'https://kubernetes.default.svc'))).toEqual({
      status: 401,
      body: {
        error: 'invalid_client',
        error_description: `client_assertion 'aud' must be the issuer '${issuer}' or the token endpoint URL`,
      },
    });
    const { privateKey } = await generateKeyPair('RS256');
    const now = Math.floor(Date.now() / 1000);
    const forged = await new SignJWT({
      iss: 'https://untrusted.example',
      sub: `system:serviceaccount:${NS}:worker`,
      aud: [issuer],
      iat: now,
      exp: now + 600,
    })
      .setProtectedHeader({ alg: 'RS256', kid: 'forged' })
      .sign(privateKey);
    expect(await exchange(forged)).toEqual({
      status: 401,
      body: {
        error: 'invalid_client',
        error_description:
          "client_assertion 'iss' 'https://untrusted.example' is not the issuer of a trusted Connection",
      },
    });
    // The cluster's own token, expired: TokenRequest will not mint one (10 minutes at least), so the good
    // token is signed again with the API server's key and kid, its times an hour and a half in the past.
    const { kid } = decodeProtectedHeader(good);
    const past = now - 5400;
    const expired = await new SignJWT({ ...decodeJwt(good), iat: past, nbf: past, exp: past + 3600 })
      .setProtectedHeader({ alg: 'RS256', ...(kid !== undefined ? { kid } : {}) })
      .sign(createPrivateKey(cluster.cp.serviceAccountSigningKeyPem));
    expect(await exchange(expired)).toEqual({
      status: 401,
      body: {
        error: 'invalid_client',
        error_description: "client_assertion has expired ('exp' is in the past)",
      },
    });
    // The same claims as the good token but signed by another key: the cluster's keys refuse it.
    const impostor = await new SignJWT({
      iss: cluster.cp.serviceAccountIssuer,
      sub: `system:serviceaccount:${NS}:worker`,
      aud: [issuer],
      iat: now,
      exp: now + 600,
    })
      .setProtectedHeader({ alg: 'RS256' })
      .sign(privateKey);
    expect(await exchange(impostor)).toEqual({
      status: 401,
      body: {
        error: 'invalid_client',
        error_description: `client_assertion signature does not verify with the keys of issuer '${cluster.cp.serviceAccountIssuer}'`,
      },
    });

    // A follower replica (not the leader, which alone writes status) checks the Connection for its own
    // snapshot, so its token endpoint takes ServiceAccount tokens too.
    const follower = await operator(cluster, [], 'follower');
    try {
      await follower.whenReady();
      expect([op.isLeader(), follower.isLeader()]).toEqual([true, false]);
      const atFollower = await mint('worker', follower.issuer);
      const followerAnswer = await eventually(
        () =>
          requestToken(follower.tokenEndpoint, {
            grant_type: 'client_credentials',
            client_id: CLIENT_ID,
            client_assertion_type: JWT_BEARER,
            client_assertion: atFollower,
          }),
        (a) => a.status === 200,
        'token from the follower',
      );
      expect(followerAnswer.body['scope']).toBe('read');
    } finally {
      await follower.close();
    }

    // No Secret for this client, and no Secret in its namespace at all.
    expect(await listAll(cluster, CORE_SECRETS, NS)).toEqual([]);
    expect(
      ((await getObject(cluster, 'OAuthClient', NS, 'worker'))?.['status'] as KubeObject)['secretName'],
    ).toBe(undefined);
  });

  it('takes a ServiceAccount token as the JWT bearer grant and as a token exchange subject', async () => {
    const issuer = op.issuer;
    const verify = async (accessToken: string) =>
      (
        await jwtVerify(accessToken, createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`)), {
          issuer,
          audience: 'https://orders',
          typ: 'at+jwt',
        })
      ).payload;
    const good = await mint('worker', issuer);

    // RFC 7523 §2.1: no client authentication, the ServiceAccount token alone names the OAuthClient.
    const bearer = (assertion: string) =>
      requestToken(op.tokenEndpoint, { grant_type: JWT_BEARER_GRANT, assertion });
    const granted = await eventually(
      () => bearer(good),
      (a) => a.status === 200,
      'token for the JWT bearer grant',
    );
    expect(await verify(granted.body['access_token'] as string)).toMatchObject({
      sub: CLIENT_ID,
      client_id: CLIENT_ID,
      scope: 'read',
    });
    expect(await bearer(await mint('intruder', issuer))).toEqual({
      status: 400,
      body: {
        error: 'invalid_grant',
        error_description: `assertion 'sub' 'system:serviceaccount:${NS}:intruder' is not a federated identity of any client`,
      },
    });

    // RFC 8693: the same token as subject_token, answered with issued_token_type.
    const exchange = (subjectToken: string) =>
      requestToken(op.tokenEndpoint, {
        grant_type: TOKEN_EXCHANGE_GRANT,
        subject_token: subjectToken,
        subject_token_type: JWT_TOKEN_TYPE,
        audience: 'https://orders',
      });
    const exchanged = await exchange(good);
    expect(exchanged).toMatchObject({
      status: 200,
      body: { issued_token_type: ACCESS_TOKEN_TYPE, token_type: 'Bearer', scope: 'read' },
    });
    expect(await verify(exchanged.body['access_token'] as string)).toMatchObject({ sub: CLIENT_ID });
    expect(await exchange(await mint('worker', 'https://kubernetes.default.svc'))).toEqual({
      status: 400,
      body: {
        error: 'invalid_request',
        error_description: `subject_token 'aud' must be the issuer '${issuer}' or the token endpoint URL`,
      },
    });
  });
});
