/**
 * `latchkey login`, `latchkey token` and `latchkey kubectl-credential` as a person runs them (issue 13): the real
 * CLI, started as a process against a running Latchkey whose device client signs people in through the company
 * IdP (node-oidc-provider behind an `oidc` Connection). The person's browser is the hosted pages' test browser.
 */
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STRICT_POLICY } from '../../src/outbound/address-policy.ts';
import { answerThroughIdp, DEVICE_CLI, DEVICE_GRANT } from '../people/device-support.ts';
import {
  companyConnection,
  peopleClient,
  peopleWorld,
  startPeopleHarness,
  type PeopleHarness,
} from '../people/harness.ts';
import { Browser, formOf } from '../people/login-browser.ts';
import { latchkey } from '../support/latchkey-cli.ts';
import { startCompanyIdp, type CompanyIdp } from '../support/oidc-upstream.ts';

const CORP = 'corp/company-idp';

let h: PeopleHarness;
let idp: CompanyIdp;
let cacheDir: string;

beforeAll(async () => {
  [h, idp] = await Promise.all([
    startPeopleHarness({ now: 'real', addressPolicy: { ...STRICT_POLICY, allowLoopback: true } }),
    startCompanyIdp({ redirectUris: [] }),
  ]);
  idp.registerRedirectUri(`${h.issuer}/login/callback`);
  const corp = companyConnection(idp.issuer, { scopes: ['groups'] });
  h.source.snapshot = peopleWorld(h.keys, {
    connections: [corp],
    clients: [
      peopleClient(
        { clientId: DEVICE_CLI, authMethod: 'none', grantTypes: [DEVICE_GRANT, 'refresh_token'] },
        { appType: 'native', displayName: 'Ops CLI', redirectUris: [], connections: [CORP] },
      ),
    ],
  });
  cacheDir = await mkdtemp(join(tmpdir(), 'latchkey-login-'));
}, 60_000);

afterAll(async () => {
  await Promise.all([h?.close(), idp?.close()]);
  await rm(cacheDir, { recursive: true, force: true });
});

const target = () => ['--issuer', h.issuer, '--client-id', DEVICE_CLI, '--cache-dir', cacheDir];

describe('latchkey login with the device flow, through the company IdP', () => {
  it('prints the address and the code, waits for the confirmation, and keeps the tokens readable by you alone', async () => {
    const run = latchkey(cacheDir, ['login', ...target()]);
    const [, url, code] = await run.stderrMatching(/open (\S+)\nand check that it shows the code (\S+)\./);
    await answerThroughIdp(h, idp, { url: url as string, code: code as string }, 'emp-1001', 'allow');
    expect(await run.exited).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`Signed in to ${h.issuer} as client ${DEVICE_CLI}.`);

    const folder = join(cacheDir, 'tokens');
    expect((await stat(folder)).mode & 0o777).toBe(0o700);
    const [file] = await readdir(folder);
    expect((await stat(join(folder, file as string))).mode & 0o777).toBe(0o600);
    const kept = JSON.parse(await readFile(join(folder, file as string), 'utf8')) as Record<string, unknown>;
    expect(kept).toMatchObject({ issuer: h.issuer, clientId: DEVICE_CLI, refreshToken: expect.any(String) });
    expect(decodeJwt(kept.idToken as string)).toMatchObject({
      email: 'carol@corp.example',
      groups: ['engineering', 'oncall'],
    });
  });

  it('prints a fresh access token and ID token, and refreshes them once they expire', async () => {
    const access = latchkey(cacheDir, ['token', ...target()]);
    expect(await access.exited).toBe(0);
    const accessToken = access.stdout.trim();
    expect(decodeJwt(accessToken)).toMatchObject({ iss: h.issuer, client_id: DEVICE_CLI });
    const id = latchkey(cacheDir, ['token', '--id-token', ...target()]);
    expect(await id.exited).toBe(0);
    expect(decodeJwt(id.stdout.trim())).toMatchObject({ aud: DEVICE_CLI });

    const folder = join(cacheDir, 'tokens');
    const [file] = await readdir(folder);
    const path = join(folder, file as string);
    const kept = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    await writeFile(path, JSON.stringify({ ...kept, accessTokenExpiresAtMs: Date.now() - 1 }), {
      mode: 0o600,
    });
    const refreshed = latchkey(cacheDir, ['token', ...target()]);
    expect(await refreshed.exited).toBe(0);
    expect(refreshed.stdout.trim()).not.toBe(accessToken);
    const after = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    expect(after.refreshToken).not.toBe(kept.refreshToken);
  });

  it('hands kubectl an ExecCredential with the ID token', async () => {
    const run = latchkey(cacheDir, ['kubectl-credential', ...target()]);
    expect(await run.exited).toBe(0);
    const credential = JSON.parse(run.stdout) as { status: { token: string; expirationTimestamp: string } };
    expect(credential).toMatchObject({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
    });
    const claims = decodeJwt(credential.status.token);
    expect(claims.aud).toBe(DEVICE_CLI);
    expect(credential.status.expirationTimestamp).toBe(
      new Date((claims.exp as number) * 1000).toISOString().replace('.000Z', 'Z'),
    );
  });

  it('says to run latchkey login when nothing is kept, and kubectl may not interact', async () => {
    const elsewhere = [
      '--issuer',
      h.issuer,
      '--client-id',
      DEVICE_CLI,
      '--cache-dir',
      join(cacheDir, 'empty'),
    ];
    const token = latchkey(cacheDir, ['token', ...elsewhere]);
    expect(await token.exited).toBe(1);
    expect(token.stderr).toContain('run latchkey login');
    const kubectl = latchkey(cacheDir, ['kubectl-credential', ...elsewhere], {
      KUBERNETES_EXEC_INFO: JSON.stringify({ kind: 'ExecCredential', spec: { interactive: false } }),
    });
    expect(await kubectl.exited).toBe(1);
    expect(kubectl.stdout).toBe('');
  });

  it('exits 1 when the person denies the sign-in', async () => {
    const run = latchkey(cacheDir, ['login', ...target(), '--cache-dir', join(cacheDir, 'denied')]);
    const [, url, code] = await run.stderrMatching(/open (\S+)\nand check that it shows the code (\S+)\./);
    await answerThroughIdp(h, idp, { url: url as string, code: code as string }, 'emp-1001', 'deny');
    expect(await run.exited).toBe(1);
    expect(run.stderr).toContain('the sign-in was denied in the browser');
  });
});

describe('latchkey login with the browser flow (RFC 8252)', () => {
  it('listens on 127.0.0.1, and the browser it sent to sign in comes back there with a code', async () => {
    const dir = join(cacheDir, 'browser');
    const args = ['--issuer', h.issuer, '--client-id', 'cli.people', '--cache-dir', dir];
    const run = latchkey(cacheDir, ['login', '--flow', 'browser', '--scope', 'openid', ...args]);
    const [, url] = await run.stderrMatching(
      /open this address in a browser on this machine:\n\n {2}(\S+)\n/,
    );
    // Something else on the machine answers the listener first, with another state: the sign-in goes on.
    const listener = new URL(new URL(url as string).searchParams.get('redirect_uri') as string);
    const stray = await fetch(`${listener.href}?code=stolen&state=other&iss=${encodeURIComponent(h.issuer)}`);
    expect(stray.status).toBe(400);
    const browser = new Browser(h);
    const login = await browser.follow(await browser.get(url as string));
    const form = formOf(await login.text(), '/login/password');
    const signedIn = await browser.post(form.action, {
      ...form.fields,
      username: 'alice',
      password: 'alice-password-1',
    });
    const back = await browser.follow(signedIn);
    const callback = new URL(back.headers.get('location') as string);
    expect(`${callback.origin}${callback.pathname}`).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    const landed = await fetch(callback);
    expect(await landed.text()).toBe('Signed in. You can close this window.\n');
    expect(await run.exited).toBe(0);
    const id = latchkey(cacheDir, ['token', '--id-token', ...args]);
    expect(await id.exited).toBe(0);
    expect(decodeJwt(id.stdout.trim())).toMatchObject({ aud: 'cli.people', iss: h.issuer });
  });
});
