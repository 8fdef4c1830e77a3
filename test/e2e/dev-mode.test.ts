import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { eventually, startDev, stop, type Dev } from './dev-process.ts';
import { CookieJar } from '../support/cookie-jar.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const run = promisify(execFile);

async function secretOf(state: string, ns: string, name: string): Promise<Record<string, string>> {
  const doc = parse(await readFile(join(state, 'secrets', ns, `${name}.yaml`), 'utf8')) as {
    data: Record<string, string>;
  };
  return Object.fromEntries(
    Object.entries(doc.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
  );
}

async function token(endpoint: string, form: Record<string, string>) {
  const res = await fetch(endpoint, { method: 'POST', body: new URLSearchParams(form) });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

/** Edits a manifest in place; a pattern that matches nothing is a broken test, not a pass. */
async function edit(file: string, from: RegExp, to: string): Promise<void> {
  const text = await readFile(file, 'utf8');
  if (!from.test(text)) throw new Error(`${from} does not occur in ${file}`);
  await writeFile(file, text.replace(from, to));
}

describe('latchkey dev, end to end', () => {
  let dir: string;
  let manifests: string;
  let state: string;
  let dev: Dev | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'latchkey-dev-'));
    manifests = join(dir, 'manifests');
    state = join(dir, 'state');
    await cp(join(ROOT, 'examples'), manifests, { recursive: true });
  });
  afterAll(async () => {
    if (dev) await stop(dev);
    await rm(dir, { recursive: true, force: true });
  });

  it('serves every scenario of the examples together, and a written Secret gets a token that verifies against the JWKS', async () => {
    dev = await startDev(manifests, state, dir);
    // The scenarios share one folder: no duplicate object, identifier or client id, so all of them are in
    // effect, the test Connection of people-sign-in too; the two other Connections are the only objects dev mode
    // cannot make Ready (it contacts no issuer, and corp-sso waits for the Secret its README has you create).
    expect(dev.output.join('')).toContain('applied: 7 APIs, 7 clients in effect, 2 objects not ready\n');
    expect(dev.output.join('')).toContain('not ready: Connection backoffice/corp-sso (SecretMissing)');
    expect(dev.output.join('')).toContain('not ready: Connection warehouse/cluster (DiscoveryNotChecked)');
    expect(dev.output.join('')).not.toContain('invalid:');
    const secret = await secretOf(state, 'payments', 'payments-service-oauth');
    expect(secret).toMatchObject({
      client_id: 'payments-service.payments',
      issuer: dev.issuer,
      token_endpoint: `${dev.issuer}/oauth2/token`,
    });
    const res = await token(secret['token_endpoint'] as string, {
      client_id: secret['client_id'] as string,
      client_secret: secret['client_secret'] as string,
      grant_type: 'client_credentials',
    });
    expect(res.status).toBe(200);
    const jwks = createRemoteJWKSet(new URL(`${dev.issuer}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(res.body['access_token'] as string, jwks, {
      issuer: dev.issuer,
      audience: 'https://orders.internal',
      typ: 'at+jwt',
    });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload).toMatchObject({ client_id: 'payments-service.payments', scope: 'orders:read' });
    expect(dev.output.join('')).not.toContain(secret['client_secret']);
  });

  it('lets alice of people-sign-in sign in to notes-web as its README shows, and the code gets tokens', async () => {
    const issuer = (dev as Dev).issuer;
    const jar = new CookieJar();
    const go = async (url: string, init: RequestInit = {}) =>
      jar.keep(await fetch(url, { ...init, redirect: 'manual', headers: jar.with() }));
    // RFC 7636 Appendix B's verifier and challenge, as examples/people-sign-in/README.md uses them.
    const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
    const authorize = new URL(`${issuer}/oauth2/authorize`);
    authorize.search = new URLSearchParams({
      response_type: 'code',
      client_id: 'notes-web.notes',
      redirect_uri: 'http://localhost:3000/callback',
      scope: 'openid profile email offline_access notes:read',
      state: 'xyz',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    }).toString();
    const login = new URL((await go(authorize.href)).headers.get('location') ?? '', issuer);
    const page = await (await go(login.href)).text();
    expect(page).toContain('Sign in to Notes');
    expect(page).toContain('Test people');
    const field = (name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(page)?.[1] ?? '';
    const form = new URLSearchParams({
      request: field('request'),
      csrf: field('csrf'),
      connection: field('connection'),
      username: 'alice',
      password: 'alice-password',
    });
    let next = (
      await go(new URL('/login/password', issuer).href, { method: 'POST', body: form })
    ).headers.get('location');
    // The hosted pages may take a step or two (continue) before the redirect to the client.
    for (let i = 0; i < 3 && next !== null && !next.startsWith('http://localhost:3000/'); i++) {
      next = (await go(new URL(next, issuer).href)).headers.get('location');
    }
    const callback = new URL(next ?? '');
    expect(callback.origin + callback.pathname).toBe('http://localhost:3000/callback');
    expect(callback.searchParams.get('state')).toBe('xyz');
    const secret = await secretOf(state, 'notes', 'notes-web-oauth');
    const res = await token(`${issuer}/oauth2/token`, {
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code') ?? '',
      redirect_uri: 'http://localhost:3000/callback',
      code_verifier: verifier,
      client_id: 'notes-web.notes',
      client_secret: secret['client_secret'] as string,
    });
    expect(res.status).toBe(200);
    expect(res.body).toHaveProperty('id_token');
    expect(res.body).toHaveProperty('refresh_token');
    const jwks = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(res.body['access_token'] as string, jwks, {
      issuer,
      audience: 'https://notes.internal',
    });
    // notes-api enforces Roles for people (notes-roles.yaml): alice's group makes her a notes-editor.
    expect(payload).toMatchObject({
      client_id: 'notes-web.notes',
      scope: 'openid profile email offline_access notes:read',
      permissions: ['notes:read', 'notes:write'],
      groups: ['notes-admins'],
    });
    expect(payload.sub).toMatch(/^usr_/);
  });

  it('prints a sign-in to try under the ready line: the authorization URL of notes-web, which leads to the login page, and the verifier of its challenge', async () => {
    const m = /\nsign in: (\S+) \(PKCE code_verifier (\S+)\)\n/.exec((dev as Dev).output.join(''));
    const url = new URL(m?.[1] ?? '');
    expect(url.searchParams.get('client_id')).toBe('notes-web.notes');
    expect(url.searchParams.get('scope')).toBe('openid profile email offline_access notes:read notes:write');
    const verifier = m?.[2] ?? '';
    expect(createHash('sha256').update(verifier).digest('base64url')).toBe(
      url.searchParams.get('code_challenge'),
    );
    const res = await fetch(url, { redirect: 'manual' });
    expect(res.status).toBe(303);
    const page = await fetch(new URL(res.headers.get('location') ?? '', url), {
      headers: {
        cookie: res.headers
          .getSetCookie()
          .map((c) => c.split(';')[0])
          .join('; '),
      },
    });
    expect(await page.text()).toContain('Sign in to Notes');
  });

  it('uses a Secret declared in the folder for a client whose secret comes from elsewhere', async () => {
    const res = await token(`${(dev as Dev).issuer}/oauth2/token`, {
      client_id: 'event-collector.analytics',
      client_secret: 'dev-only-public-value-replace-with-the-external-secret',
      grant_type: 'client_credentials',
    });
    expect(res).toMatchObject({ status: 200, body: { scope: 'events:write', expires_in: 900 } });
    await expect(
      readFile(join(state, 'secrets', 'analytics', 'event-collector-credentials.yaml')),
    ).rejects.toThrow(/ENOENT/);
  });

  it('prints a curl command that works as printed, for a client that needs no audience', async () => {
    expect((dev as Dev).curl).toContain('-d client_id=audit-reporter.backoffice ');
    expect((dev as Dev).curl).not.toContain('audience');
    const { stdout } = await run('bash', ['-c', (dev as Dev).curl], { cwd: dir });
    expect(JSON.parse(stdout)).toMatchObject({ token_type: 'Bearer', expires_in: 300, scope: 'admin:read' });
  });

  it('applies an edited manifest without a restart', async () => {
    const secret = await secretOf(state, 'orders', 'orders-service-oauth');
    const file = join(manifests, 'two-services', 'payments.yaml');
    await edit(
      file,
      /scopes: \[['"]payments:read['"], ['"]payments:charge['"]\]/,
      'scopes: ["payments:read"]',
    );
    const res = await eventually(
      () =>
        token(
          secret['token_endpoint'] as string,
          { ...secret, grant_type: 'client_credentials' } as Record<string, string>,
        ),
      (r) => r.body['scope'] === 'payments:read',
      'the narrowed role never took effect',
    );
    expect(res.status).toBe(200);
  });

  it('reports a file that becomes invalid with file, line, object and field, and keeps serving its last good objects', async () => {
    const secret = await secretOf(state, 'payments', 'payments-service-oauth');
    const file = join(manifests, 'two-services', 'payments.yaml');
    await edit(
      file,
      /tokenEndpointAuthMethod: client_secret_post/,
      'tokenEndpointAuthMethod: carrier_pigeon',
    );
    await eventually(
      async () => (dev as Dev).output.join(''),
      (text) =>
        /invalid: manifests\/two-services\/payments\.yaml:\d+: OAuthClient\/payments\/payments-service: spec\.tokenEndpointAuthMethod: /.test(
          text,
        ),
      'the invalid field was not reported',
    );
    // The load does not say "applied": the edit is not in effect, the last good version is.
    await eventually(
      async () => (dev as Dev).output.join(''),
      (text) =>
        /rejected: manifests\/two-services\/payments\.yaml:\d+; still serving the last good version \(7 APIs, /.test(
          text,
        ),
      'the rejected load was not said',
    );
    const res = await token(
      secret['token_endpoint'] as string,
      { ...secret, grant_type: 'client_credentials' } as Record<string, string>,
    );
    expect(res).toMatchObject({ status: 200, body: { scope: 'orders:read' } });
    // The valid objects of the same file still take effect: the Role keeps its narrowed scopes.
    const orders = await secretOf(state, 'orders', 'orders-service-oauth');
    const narrowed = await token(
      orders['token_endpoint'] as string,
      { ...orders, grant_type: 'client_credentials' } as Record<string, string>,
    );
    expect(narrowed).toMatchObject({ status: 200, body: { scope: 'payments:read' } });
  });

  it('keeps every secret and key across a restart', async () => {
    const before = await secretOf(state, 'orders', 'orders-service-oauth');
    const first = await token(
      before['token_endpoint'] as string,
      {
        ...before,
        grant_type: 'client_credentials',
        audience: 'https://payments.internal',
      } as Record<string, string>,
    );
    expect(await stop(dev as Dev)).toBe(0);

    dev = await startDev(manifests, state, dir);
    const after = await secretOf(state, 'orders', 'orders-service-oauth');
    expect(after['client_secret']).toBe(before['client_secret']);
    const basic = Buffer.from(`${after['client_id']}:${after['client_secret']}`).toString('base64');
    const res = await fetch(`${dev.issuer}/oauth2/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}` },
      body: new URLSearchParams({ grant_type: 'client_credentials', audience: 'https://payments.internal' }),
    });
    expect(res.status).toBe(200);
    const second = (await res.json()) as { access_token: string };
    expect(decodeProtectedHeader(second.access_token).kid).toBe(
      decodeProtectedHeader(first.body['access_token'] as string).kid,
    );
    expect(dev.output.join('')).not.toMatch(/secret: generated|keys: created/);
  });
});
