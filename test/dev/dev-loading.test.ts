import { readFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseDevArgs } from '../../src/dev/config.ts';
import { startDev, type DevServer } from '../../src/dev/run.ts';
import { EventBus } from '../../src/events.ts';

const MANIFEST = `apiVersion: latchkey.dev/v1alpha1
kind: ResourceServer
metadata: { name: reports-api, namespace: billing }
spec:
  identifier: https://reports.internal
  scopes: [{ name: 'reports:read' }]
---
apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: { name: reporting-job, namespace: billing }
spec:
  grantTypes: [client_credentials]
  grants:
    - resourceServer: { name: reports-api }
      scopes: ['reports:read']
`;

/** Many small valid documents, as in the file that once stalled dev mode for half a minute. */
function manyApis(count: number): string {
  return Array.from(
    { length: count },
    (_, i) =>
      `apiVersion: latchkey.dev/v1alpha1\nkind: ResourceServer\nmetadata: {name: api-${i}, namespace: bulk}\nspec: {identifier: 'https://api-${i}.internal'}\n`,
  ).join('---\n');
}

let dir: string;
let dev: DevServer | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'latchkey-dev-loading-'));
  await mkdir(join(dir, 'manifests'));
  await writeFile(join(dir, 'manifests', 'reports.yaml'), MANIFEST);
});
afterEach(async () => {
  await dev?.close();
  dev = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function config(port = 0) {
  const argv = [
    '--manifests',
    'manifests',
    '--state-dir',
    'state',
    '--port',
    String(port),
    '--ops-port',
    '0',
  ];
  return { ...parseDevArgs(argv, dir), watch: false };
}

async function readSecret(): Promise<{ client_secret: string }> {
  const text = await readFile(join(dir, 'state/secrets/billing/reporting-job-oauth.yaml'), 'utf8');
  const data = /client_secret: (\S+)/.exec(text)?.[1] ?? '';
  return { client_secret: Buffer.from(data, 'base64').toString() };
}

describe('latchkey dev before its first load is done', () => {
  it('answers every endpoint 503 temporarily_unavailable with Retry-After, then serves once the Secrets are written', async () => {
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const seen: { status: number; retryAfter: string | null; body: unknown; secretWritten: boolean }[] = [];
    let asked = false;
    const yieldNow = async () => {
      if (asked) return;
      asked = true;
      // The first load is under way: nothing is compiled and no Secret is written yet.
      for (const path of [
        '/.well-known/oauth-authorization-server',
        '/.well-known/jwks.json',
        '/oauth2/token',
      ]) {
        const res = await fetch(origin + path, path === '/oauth2/token' ? { method: 'POST' } : undefined);
        const secretWritten = await readSecret().then(
          () => true,
          () => false,
        );
        seen.push({
          status: res.status,
          retryAfter: res.headers.get('retry-after'),
          body: await res.json(),
          secretWritten,
        });
      }
    };
    dev = await startDev(config(port), new EventBus(), undefined, { manifests: { yieldNow } });

    const notReady = {
      error: 'temporarily_unavailable',
      error_description: 'Latchkey is loading its manifests; try again shortly',
    };
    expect(seen).toEqual([
      { status: 503, retryAfter: '1', body: notReady, secretWritten: false },
      { status: 503, retryAfter: '1', body: notReady, secretWritten: false },
      { status: 503, retryAfter: '1', body: notReady, secretWritten: false },
    ]);
    const metadata = await fetch(`${origin}/.well-known/oauth-authorization-server`);
    expect(metadata.status).toBe(200);
    const { client_secret } = await readSecret();
    const token = await fetch(`${origin}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: 'reporting-job.billing',
        client_secret,
      }),
    });
    expect(token.status).toBe(200);
  });
});

describe('latchkey dev reloading a large folder', () => {
  it('keeps answering token and JWKS requests from the last snapshot while the load is still in progress', async () => {
    let during: { token: number; jwks: number; reloadDone: boolean } | undefined;
    let reloadDone = false;
    let documents = 0;
    const yieldNow = async () => {
      documents += 1;
      if (documents !== 500 || dev === undefined) return;
      const { client_secret } = await readSecret();
      const [token, jwks] = await Promise.all([
        fetch(dev.tokenEndpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'client_credentials',
            client_id: 'reporting-job.billing',
            client_secret,
          }),
        }),
        fetch(`${dev.issuer}/.well-known/jwks.json`),
      ]);
      during = { token: token.status, jwks: jwks.status, reloadDone };
    };
    dev = await startDev(config(), new EventBus(), undefined, { manifests: { yieldNow } });
    await writeFile(join(dir, 'manifests', 'bulk.yaml'), manyApis(2000));
    documents = 0;
    await dev.reload();
    reloadDone = true;

    expect(during).toEqual({ token: 200, jwks: 200, reloadDone: false });
    // The 2000, the one declared before, and the built-in management API.
    expect(dev.store.current().apis.size).toBe(2002);
  });
});
