import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { eventually, startDev, stop, type Dev } from './dev-process.ts';

// Issue 9 item 3: in dev mode a newcomer never takes over an identifier or a client id in use, across
// reloads and restarts, whatever creationTimestamp its manifest claims and wherever its file sorts.

const TEAM_B = `apiVersion: latchkey.dev/v1alpha1
kind: ResourceServer
metadata: {name: api, namespace: team-b}
spec:
  identifier: https://b.internal
  scopes: [{name: admin}]
---
apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: {name: payments, namespace: team-b}
spec:
  clientId: shared-payments
  grants: [{resourceServer: {name: api}, scopes: [admin]}]
`;

// Sorts before team-b's file, and claims to be older than anything.
const NEWCOMER = `apiVersion: latchkey.dev/v1alpha1
kind: ResourceServer
metadata: {name: api, namespace: team-a, creationTimestamp: "1970-01-01T00:00:00Z"}
spec:
  identifier: https://b.internal
  scopes: [{name: admin}]
---
apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: {name: thief, namespace: team-a, creationTimestamp: "1970-01-01T00:00:00Z"}
spec:
  clientId: shared-payments
  grants: [{resourceServer: {name: api}, scopes: [admin]}]
`;

async function secretOf(state: string, ns: string, name: string): Promise<Record<string, string>> {
  const doc = parse(await readFile(join(state, 'secrets', ns, `${name}.yaml`), 'utf8')) as {
    data: Record<string, string>;
  };
  return Object.fromEntries(
    Object.entries(doc.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
  );
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

describe('latchkey dev: first seen holds an identifier and a client id', () => {
  let dir: string;
  let manifests: string;
  let state: string;
  let dev: Dev | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'latchkey-takeover-'));
    manifests = join(dir, 'manifests');
    state = join(dir, 'state');
    await mkdir(manifests, { recursive: true });
    await writeFile(join(manifests, 'z-team-b.yaml'), TEAM_B);
  });
  afterAll(async () => {
    if (dev) await stop(dev);
    await rm(dir, { recursive: true, force: true });
  });

  /** team-b's client authenticates as shared-payments and gets a token for https://b.internal. */
  async function teamBToken(): Promise<{ status: number; claims?: Record<string, unknown> }> {
    const secret = await secretOf(state, 'team-b', 'payments-oauth');
    const res = await fetch(`${dev?.issuer}/oauth2/token`, {
      method: 'POST',
      body: new URLSearchParams({
        client_id: secret['client_id'] as string,
        client_secret: secret['client_secret'] as string,
        grant_type: 'client_credentials',
      }),
    });
    const body = (await res.json()) as Record<string, string>;
    return res.status === 200
      ? { status: 200, claims: decodeJwt(body['access_token'] as string) }
      : { status: res.status };
  }

  async function expectTeamBHolds(): Promise<void> {
    const { status, claims } = await teamBToken();
    expect(status).toBe(200);
    expect(claims).toMatchObject({ client_id: 'shared-payments', aud: 'https://b.internal', scope: 'admin' });
    const out = dev?.output.join('') ?? '';
    expect(out).toContain(
      'not ready: ResourceServer team-a/api (IdentifierConflict): identifier https://b.internal is already used by ResourceServer team-b/api',
    );
    expect(out).toContain(
      'not ready: OAuthClient team-a/thief (ClientIdConflict): client id shared-payments is already used by OAuthClient team-b/payments',
    );
    // A client that lost its client id gets no Secret naming the other team's id.
    expect(await exists(join(state, 'secrets', 'team-a', 'thief-oauth.yaml'))).toBe(false);
  }

  it('keeps them for the team that had them when a newcomer file is added', async () => {
    dev = await startDev(manifests, state, dir);
    expect((await teamBToken()).status).toBe(200);
    await writeFile(join(manifests, 'a-newcomer.yaml'), NEWCOMER);
    await eventually(
      async () => dev?.output.join('') ?? '',
      (out) => out.includes('IdentifierConflict'),
      'the reload after adding a-newcomer.yaml',
    );
    await expectTeamBHolds();
  });

  it('keeps them after a restart, when both files are read in one load', async () => {
    if (dev) await stop(dev);
    dev = await startDev(manifests, state, dir);
    await expectTeamBHolds();
  });
});
