import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { eventually, startDev, stop, type Dev } from './dev-process.ts';

// Issue 9 item 3: in dev mode a file added later never changes another team's setup by declaring the same
// object (or the same Namespace) again, wherever it sorts, across reloads and restarts.

const PLATFORM = `apiVersion: latchkey.dev/v1alpha1
kind: ResourceServer
metadata: {name: shared, namespace: platform}
spec:
  identifier: https://shared.internal
  scopes: [{name: use}]
  allowedNamespaces: {matchLabels: {partner: "true"}}
`;

const TEAM_B = `apiVersion: v1
kind: Namespace
metadata: {name: team-b, labels: {team: b}}
---
apiVersion: latchkey.dev/v1alpha1
kind: ResourceServer
metadata: {name: api, namespace: team-b}
spec:
  identifier: https://b.internal
  scopes: [{name: admin}, {name: read}]
---
apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: {name: payments, namespace: team-b}
spec:
  grants: [{resourceServer: {name: api}, scopes: [admin]}]
---
apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: {name: reader, namespace: team-b}
spec:
  grants: [{resourceServer: {name: shared, namespace: platform}, scopes: [use]}]
`;

// Sorts before team-b's file, where the first declaration by file order used to win.
const NEWCOMER_FIRST = `apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: {name: payments, namespace: team-b}
spec:
  grants: [{resourceServer: {name: api}, scopes: [read]}]
`;

// Sorts after team-b's file, where the last Namespace document's labels used to win.
const NEWCOMER_LAST = `apiVersion: v1
kind: Namespace
metadata: {name: team-b, labels: {team: b, partner: "true"}}
`;

const REFUSED_CLIENT =
  'invalid: manifests/a-newcomer.yaml:1: OAuthClient/team-b/payments: OAuthClient team-b/payments is already declared in manifests/m-team-b.yaml: this declaration is ignored';
const REFUSED_NAMESPACE =
  'invalid: manifests/z-newcomer.yaml:1: Namespace/team-b: Namespace team-b is already declared in manifests/m-team-b.yaml: this declaration is ignored';

async function secretOf(state: string, ns: string, name: string): Promise<Record<string, string>> {
  const doc = parse(await readFile(join(state, 'secrets', ns, `${name}.yaml`), 'utf8')) as {
    data: Record<string, string>;
  };
  return Object.fromEntries(
    Object.entries(doc.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
  );
}

describe('latchkey dev: the file that declared an object first keeps it', () => {
  let dir: string;
  let manifests: string;
  let state: string;
  let dev: Dev | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'latchkey-declared-in-'));
    manifests = join(dir, 'manifests');
    state = join(dir, 'state');
    await mkdir(manifests, { recursive: true });
    await writeFile(join(manifests, 'm-platform.yaml'), PLATFORM);
    await writeFile(join(manifests, 'm-team-b.yaml'), TEAM_B);
  });
  afterAll(async () => {
    if (dev) await stop(dev);
    await rm(dir, { recursive: true, force: true });
  });

  // Each load ends with one line: applied, or rejected when a document was refused.
  const reloads = () => (dev?.output.join('') ?? '').split(/^(?:applied|rejected): /m).length;

  async function token(client: string, form: Record<string, string> = {}) {
    const secret = await secretOf(state, 'team-b', `${client}-oauth`);
    const res = await fetch(`${dev?.issuer}/oauth2/token`, {
      method: 'POST',
      body: new URLSearchParams({
        client_id: secret['client_id'] as string,
        client_secret: secret['client_secret'] as string,
        grant_type: 'client_credentials',
        ...form,
      }),
    });
    const body = (await res.json()) as Record<string, string>;
    return res.status === 200
      ? { status: 200, claims: decodeJwt(body['access_token'] as string) }
      : { status: res.status, body };
  }

  async function expectTeamBUnchanged(): Promise<void> {
    // payments keeps its own grants: admin, not the newcomer's read.
    expect(await token('payments')).toMatchObject({
      status: 200,
      claims: { aud: 'https://b.internal', scope: 'admin' },
    });
    // team-b is not labelled partner=true, so platform/shared does not select it.
    expect(await token('reader', { audience: 'https://shared.internal' })).not.toMatchObject({ status: 200 });
  }

  it('refuses the later declarations of a newcomer file, naming the file that holds each object', async () => {
    dev = await startDev(manifests, state, dir);
    await expectTeamBUnchanged();
    const before = reloads();
    await writeFile(join(manifests, 'a-newcomer.yaml'), NEWCOMER_FIRST);
    await writeFile(join(manifests, 'z-newcomer.yaml'), NEWCOMER_LAST);
    // One reload or two (the watcher may see the files apart): wait until the output has been still for 1 s.
    await eventually(
      async () => reloads(),
      (n) => n > before,
      'a reload after adding the newcomer files',
    );
    let last = '';
    await eventually(
      async () => {
        const seen = last;
        await new Promise((r) => setTimeout(r, 1000));
        last = dev?.output.join('') ?? '';
        return seen === last;
      },
      (still) => still,
      'the reloads after adding the newcomer files to finish',
    );
    await expectTeamBUnchanged();
    expect(dev.output.join('')).toContain(REFUSED_CLIENT);
    expect(dev.output.join('')).toContain(REFUSED_NAMESPACE);
  });

  it('keeps them after a restart, when all the files are read in one load', async () => {
    if (dev) await stop(dev);
    dev = await startDev(manifests, state, dir);
    await expectTeamBUnchanged();
    expect(dev.output.join('')).toContain(REFUSED_CLIENT);
    expect(dev.output.join('')).toContain(REFUSED_NAMESPACE);
  });
});
