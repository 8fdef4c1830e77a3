import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeKeyRing, KEYS_DATA_KEY } from '../../src/keys/codec.ts';
import type { KeyRing } from '../../src/keys/lifecycle.ts';
import { CORE_CONFIGMAPS, CORE_SECRETS, type KubeObject } from '../../src/kube/types.ts';
import { resourceOf } from '../../src/operator/resources.ts';
import {
  KEYS_ISSUED_CONFIGMAP,
  REVOKE_ANNOTATION,
  ROTATE_ANNOTATION,
  SIGNING_KEYS_SECRET,
} from '../../src/operator/signing-key-secret.ts';
import {
  createNamespace,
  eventually,
  operator,
  OPERATOR_NAMESPACE,
  requestToken,
  secretData,
  startCluster,
  type Cluster,
  type Operator,
} from './operator-harness.ts';

const PRE_PUBLISH_MS = 8_000;
const LIFETIME = '20s';

describe('signing key rotation (real kube-apiserver)', () => {
  let cluster: Cluster;
  let op: Operator;
  let creds: Record<string, string>;

  beforeAll(async () => {
    cluster = await startCluster();
    await createNamespace(cluster, 'rot');
    op = await operator(cluster, [
      '--signing-key-prepublish',
      `${PRE_PUBLISH_MS / 1000}s`,
      '--signing-key-clock-skew',
      '1s',
    ]);
    await op.whenReady();
    await cluster.api.create(resourceOf('ResourceServer'), 'rot', {
      apiVersion: 'latchkey.dev/v1alpha1',
      kind: 'ResourceServer',
      metadata: { name: 'orders', namespace: 'rot' },
      spec: { identifier: 'https://orders', scopes: [{ name: 'read' }], accessToken: { lifetime: LIFETIME } },
    });
    await cluster.api.create(resourceOf('OAuthClient'), 'rot', {
      apiVersion: 'latchkey.dev/v1alpha1',
      kind: 'OAuthClient',
      metadata: { name: 'worker', namespace: 'rot' },
      spec: {
        grantTypes: ['client_credentials'],
        grants: [{ resourceServer: { name: 'orders' }, scopes: ['read'] }],
      },
    });
    creds = (await eventually(
      () => secretData(cluster, 'rot', 'worker-oauth'),
      (d) => d?.['client_secret'] !== undefined,
      'Secret rot/worker-oauth',
    )) as Record<string, string>;
  });
  afterAll(async () => {
    await op?.close();
    await cluster?.stop();
  });

  const jwksUrl = () => new URL(`${op.issuer}/.well-known/jwks.json`);
  const publishedKids = async () =>
    ((await (await fetch(jwksUrl())).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
  const token = async () => {
    const answer = await requestToken(op.tokenEndpoint, {
      client_id: creds['client_id'] as string,
      client_secret: creds['client_secret'] as string,
      grant_type: 'client_credentials',
    });
    expect(answer.status).toBe(200);
    const jwt = answer.body['access_token'] as string;
    return { jwt, kid: decodeProtectedHeader(jwt).kid as string };
  };
  const annotate = (annotations: Record<string, string>) =>
    cluster.api.patch(CORE_SECRETS, OPERATOR_NAMESPACE, SIGNING_KEYS_SECRET, { metadata: { annotations } });
  const stored = async (): Promise<KeyRing> => {
    const s = await cluster.api.get<KubeObject>(CORE_SECRETS, OPERATOR_NAMESPACE, SIGNING_KEYS_SECRET);
    const text = Buffer.from(
      (s?.['data'] as Record<string, string>)[KEYS_DATA_KEY] as string,
      'base64',
    ).toString();
    return decodeKeyRing(text, 'test');
  };
  const issuedKids = async () =>
    String(
      (
        (await cluster.api.get<KubeObject>(CORE_CONFIGMAPS, OPERATOR_NAMESPACE, KEYS_ISSUED_CONFIGMAP))?.[
          'data'
        ] as Record<string, string>
      )['kids'],
    ).split(',');

  it('publishes the next key before it signs, keeps the old one until its tokens expired, and a cached JWKS keeps verifying', async () => {
    const old = await token();
    const before = await publishedKids();
    expect(before).toContain(old.kid);

    await annotate({ [ROTATE_ANNOTATION]: 'first' });
    // One poll after another: the JWKS is read before a token is asked for, so the poll in which the next key
    // first signs must come after a poll in which it was already published.
    let poll = 0;
    let publishedAt: number | undefined;
    let cached: ReturnType<typeof createRemoteJWKSet> | undefined;
    const next = await eventually(
      async () => {
        poll++;
        const kids = await publishedKids();
        if (publishedAt === undefined && kids.some((k) => !before.includes(k))) {
          publishedAt = poll;
          // A resource server that fetches the JWKS now, during the pre-publish period, and never again.
          cached = createRemoteJWKSet(jwksUrl(), { cacheMaxAge: Infinity, cooldownDuration: Infinity });
          await jwtVerify(old.jwt, cached, {
            currentDate: new Date((decodeJwt(old.jwt).iat as number) * 1000),
          });
        }
        return { ...(await token()), poll };
      },
      (t) => t.kid !== old.kid,
      'tokens signed by the next key',
      60_000,
    );
    expect(publishedAt).toBeDefined();
    expect(publishedAt).toBeLessThan(next.poll);

    const ring = await stored();
    const record = ring.keys.find((r) => r.key.kid === next.kid);
    expect(record && record.activatesAt - record.createdAt).toBe(PRE_PUBLISH_MS);
    expect(ring.handled.rotate).toBe('first');
    expect(await issuedKids()).toContain(next.kid);

    // The cached JWKS verifies both the new key's tokens and the old key's, with no refetch allowed.
    const verifier = cached as ReturnType<typeof createRemoteJWKSet>;
    await jwtVerify(next.jwt, verifier, { issuer: op.issuer, audience: 'https://orders' });
    await jwtVerify(old.jwt, verifier, { currentDate: new Date((decodeJwt(old.jwt).iat as number) * 1000) });
    expect(await publishedKids()).toContain(old.kid);

    await eventually(publishedKids, (kids) => !kids.includes(old.kid), 'the old key leaves the JWKS', 90_000);
    await eventually(
      async () => (await stored()).keys.map((r) => r.key.kid),
      (kids) => !kids.includes(old.kid),
      'the old key leaves the Secret',
    );
    await eventually(issuedKids, (kids) => !kids.includes(old.kid), 'the issued record follows');
  }, 180_000);

  it('revokes the active key at once: it leaves the JWKS and another key signs', async () => {
    const active = await token();
    await annotate({ [REVOKE_ANNOTATION]: active.kid });
    await eventually(publishedKids, (kids) => !kids.includes(active.kid), 'the revoked key leaves the JWKS');
    const after = await token();
    expect(after.kid).not.toBe(active.kid);
    expect(await publishedKids()).toContain(after.kid);
    expect((await stored()).handled.revoke).toBe(active.kid);
  });
});
