/**
 * `latchkey dev --check-connections`: an `oidc` Connection whose issuer is a small HTTP server of this test,
 * trusted by an OAuthClient's `federatedIdentities`. With the flag dev mode checks the issuer as the operator
 * does and accepts the CI system's token; without it, it contacts no one and refuses that token.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signer, startIssuer, type Signer, type TestIssuer } from '../support/oidc-issuer.ts';
import { eventually, startDev, stop, type Dev } from './dev-process.ts';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const SUBJECT = 'repo:acme/app:ref:refs/heads/main';

const manifests = (issuer: string) => `apiVersion: v1
kind: Namespace
metadata: { name: ci }
---
apiVersion: latchkey.dev/v1alpha1
kind: ResourceServer
metadata: { name: deployments, namespace: ci }
spec:
  identifier: https://deployments.ci.internal
  scopes: [{ name: deploy }]
---
apiVersion: latchkey.dev/v1alpha1
kind: Connection
metadata: { name: actions, namespace: ci }
spec:
  type: oidc
  issuer: ${issuer}
---
apiVersion: latchkey.dev/v1alpha1
kind: Connection
metadata: { name: cluster, namespace: ci }
spec:
  type: kubernetes
---
apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: { name: deployer, namespace: ci }
spec:
  appType: non_interactive
  grantTypes: [client_credentials]
  tokenEndpointAuthMethod: private_key_jwt
  federatedIdentities: [{ connection: { name: actions }, subject: '${SUBJECT}' }]
  grants: [{ resourceServer: { name: deployments }, scopes: [deploy] }]
`;

describe('latchkey dev --check-connections', () => {
  let dir: string;
  let folder: string;
  let upstream: TestIssuer;
  let key: Signer;
  let dev: Dev | undefined;

  beforeAll(async () => {
    key = await signer('ci-1');
    upstream = await startIssuer();
    upstream.publish([key.jwk]);
    dir = await mkdtemp(join(tmpdir(), 'latchkey-dev-connections-'));
    folder = join(dir, 'manifests');
    await mkdir(folder);
    await writeFile(join(folder, 'ci.yaml'), manifests(upstream.issuer));
  });
  afterEach(async () => {
    if (dev) await stop(dev);
    dev = undefined;
  });
  afterAll(async () => {
    await upstream.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Exchanges a CI token signed with the issuer's key, for the Latchkey at `latchkey`, at its token endpoint. */
  const exchange = async (latchkey: Dev) => {
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({
      iss: upstream.issuer,
      sub: SUBJECT,
      aud: [latchkey.issuer],
      iat: now,
      exp: now + 600,
    })
      .setProtectedHeader({ alg: 'RS256', kid: key.kid })
      .sign(key.privateKey);
    const res = await fetch(`${latchkey.origin}/oauth2/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: 'deployer.ci',
        client_assertion_type: JWT_BEARER,
        client_assertion: assertion,
      }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('without the flag contacts no issuer: the Connection is DiscoveryNotChecked and the federated token is refused', async () => {
    dev = await startDev(folder, join(dir, 'state'), dir);
    const output = dev.output.join('');
    expect(output).toContain(
      'not ready: Connection ci/actions (DiscoveryNotChecked): dev mode contacts no issuer: start it with --check-connections',
    );
    expect(output).toContain('2 objects not ready');
    expect(await exchange(dev)).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
  });

  it('with the flag verifies the issuer before it is ready and accepts the federated token', async () => {
    dev = await startDev(folder, join(dir, 'state'), dir, ['--check-connections']);
    const output = dev.output.join('');
    expect(output).not.toContain('Connection ci/actions');
    expect(output).toContain('applied: 1 APIs, 1 clients in effect, 1 objects not ready\n');
    expect(await exchange(dev)).toMatchObject({
      status: 200,
      body: { token_type: 'Bearer', scope: 'deploy' },
    });
  });

  it('leaves a kubernetes Connection DiscoveryNotChecked and says it needs a cluster', async () => {
    dev = await startDev(folder, join(dir, 'state'), dir, ['--check-connections']);
    const output = dev.output.join('');
    expect(output).toContain(
      'not ready: Connection ci/cluster (DiscoveryNotChecked): dev mode cannot check a Connection of type kubernetes',
    );
    expect(output).toContain(
      'connection: Connection/ci/cluster: a Connection of type kubernetes needs a Kubernetes API server',
    );
  });

  it('serves beside another dev server on the same folder with its --issuer, and says where it listens', async () => {
    const first = await startDev(folder, join(dir, 'state'), dir, ['--no-watch']);
    try {
      dev = await startDev(folder, join(dir, 'state'), dir, [
        '--check-connections',
        '--issuer',
        first.issuer,
      ]);
      expect(dev.issuer).toBe(first.issuer);
      expect(dev.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(dev.origin).not.toBe(first.issuer);
      expect(await exchange(dev)).toMatchObject({ status: 200, body: { scope: 'deploy' } });
    } finally {
      await stop(first);
    }
  });

  it('checks again on a manifest reload, and keeps the last good keys when the issuer has gone', async () => {
    dev = await startDev(folder, join(dir, 'state'), dir, ['--check-connections']);
    const running = dev;
    expect((await exchange(running)).status).toBe(200);
    await upstream.close();
    await writeFile(join(folder, 'ci.yaml'), `${manifests(upstream.issuer)}# touched\n`);
    await eventually(
      async () => running.output.join(''),
      (text) => text.includes('not ready: Connection ci/actions (IssuerUnreachable)'),
      'the failed check was not reported',
    );
    expect(running.output.join('')).toContain('tokens signed with the keys found earlier are still accepted');
    expect(await exchange(running)).toMatchObject({ status: 200, body: { scope: 'deploy' } });
  });
});
