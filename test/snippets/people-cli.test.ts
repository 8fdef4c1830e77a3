import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SETUP_TIMEOUT_MS, setupSnippet } from './harness.ts';
import { ALICE, Browser, CLI, Snippet, startPeopleLatchkey, type PeopleLatchkey } from './people-harness.ts';

/**
 * The CLI of docs/people/cli.md as a person uses it in a terminal, in Node.js (snippets/node/people-cli.mjs) and
 * in Go (snippets/go-cli): `login` prints the address to open, a browser signs in through Latchkey's login page
 * and comes back to the CLI's loopback listener; `token` refreshes; `logout` revokes. Its client is
 * snippets/manifests/notes-cli.yaml, added to the people example. Both print the same words.
 */
interface CliCase {
  name: string;
  /** The command and its first arguments, once the snippet is set up. */
  setup(): Promise<{ command: string; args: string[] }>;
}

const CASES: CliCase[] = [
  {
    name: 'the Node.js CLI snippet (openid-client)',
    setup: async () => ({ command: process.execPath, args: [CLI] }),
  },
  {
    name: 'the Go CLI snippet (golang.org/x/oauth2, go-oidc)',
    setup: async () => ({ command: await setupSnippet('go-cli'), args: [] }),
  },
];

describe.each(CASES)('$name', ({ setup }) => {
  let latchkey: PeopleLatchkey;
  let program: { command: string; args: string[] };
  let tokenFile: string;
  let verify: (token: string) => ReturnType<typeof jwtVerify>;

  beforeAll(async () => {
    // Setup first: a first build may take minutes, and a server started before would sit idle.
    program = await setup();
    latchkey = await startPeopleLatchkey();
    tokenFile = join(latchkey.workDir, 'home', 'notes-cli', 'refresh-token');
    const jwks = createRemoteJWKSet(new URL(`${latchkey.issuer}/.well-known/jwks.json`));
    verify = (token) =>
      jwtVerify(token, jwks, { issuer: latchkey.issuer, audience: 'https://notes.internal', typ: 'at+jwt' });
  }, SETUP_TIMEOUT_MS);
  const started: Snippet[] = [];
  afterAll(async () => {
    // A login left waiting by a failed test.
    await Promise.all(started.map((s) => s.stop()));
    await latchkey?.close();
  });

  const cli = (command: string, env: Record<string, string> = {}) => {
    const s = new Snippet(program.command, [...program.args, command], {
      LATCHKEY_ISSUER: latchkey.issuer,
      LATCHKEY_CLIENT_ID: 'notes-cli.notes',
      NOTES_TOKEN_FILE: tokenFile,
      NOTES_LOGIN_TIMEOUT: '60',
      ...env,
    });
    started.push(s);
    return s;
  };

  /** Runs a command that needs no browser to its end. */
  const run = async (command: string, env: Record<string, string> = {}) => {
    const s = cli(command, env);
    const code = await s.exited;
    return { code, stdout: s.stdout, stderr: s.stderr };
  };

  it('token before any login says to log in', async () => {
    expect(await run('token')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Not signed in: run login first.\n',
    });
  });

  it('login: the browser signs in and comes back to 127.0.0.1; it prints an access token and keeps the refresh token', async () => {
    const login = cli('login');
    const printed = await login.waitFor('stderr', /^ {2}(http\S+)$/m);
    const url = new URL(printed[1] as string);
    expect(url.origin + url.pathname).toBe(`${latchkey.issuer}/oauth2/authorize`);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: 'notes-cli.notes',
      redirect_uri: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/callback$/),
      scope: 'openid offline_access notes:read',
      code_challenge_method: 'S256',
      code_challenge: expect.stringMatching(/^[\w-]{43}$/),
      state: expect.stringMatching(/^[\w-]{43}$/),
    });

    const back = await new Browser().signIn(url, ALICE);
    expect(back.url.href).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback\?/);
    expect(back.url.href.startsWith(url.searchParams.get('redirect_uri') as string)).toBe(true);
    expect(back.res.status).toBe(200);
    expect(back.body).toBe('Signed in. You can close this tab and return to the terminal.\n');

    expect(await login.exited).toBe(0);
    expect(login.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const { payload } = await verify(login.stdout.trim());
    expect(payload).toMatchObject({
      client_id: 'notes-cli.notes',
      scope: 'openid offline_access notes:read',
    });
    expect(payload.sub).toMatch(/^usr_/);

    const kept = await readFile(tokenFile, 'utf8');
    expect(kept.length).toBeGreaterThan(20);
    expect((await stat(tokenFile)).mode & 0o777).toBe(0o600);
  });

  it('token: refreshes with the kept refresh token, keeps the rotated one, and prints a new access token', async () => {
    const before = await readFile(tokenFile, 'utf8');
    const res = await run('token');
    expect(res).toMatchObject({ code: 0, stderr: '' });
    const { payload } = await verify(res.stdout.trim());
    expect(payload).toMatchObject({
      client_id: 'notes-cli.notes',
      scope: 'openid offline_access notes:read',
    });
    const after = await readFile(tokenFile, 'utf8');
    expect(after).not.toBe(before);
    // And again with the rotated one.
    const again = await run('token');
    expect(again.code).toBe(0);
    expect((await verify(again.stdout.trim())).payload.sub).toBe(payload.sub);
  });

  it('logout revokes the refresh token and forgets it; the revoked token no longer refreshes', async () => {
    const kept = await readFile(tokenFile, 'utf8');
    expect(await run('logout')).toEqual({ code: 0, stdout: '', stderr: '' });
    await expect(stat(tokenFile)).rejects.toThrow(/ENOENT/);
    expect(await run('token')).toMatchObject({ code: 1, stderr: 'Not signed in: run login first.\n' });
    const res = await fetch(`${latchkey.issuer}/oauth2/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: kept,
        client_id: 'notes-cli.notes',
      }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('token tells to log in again when the refresh token was revoked elsewhere, and forgets it', async () => {
    const login = cli('login');
    const printed = await login.waitFor('stderr', /^ {2}(http\S+)$/m);
    await new Browser().signIn(printed[1] as string, ALICE);
    expect(await login.exited).toBe(0);
    const kept = await readFile(tokenFile, 'utf8');
    const revoked = await fetch(`${latchkey.issuer}/oauth2/revoke`, {
      method: 'POST',
      body: new URLSearchParams({ token: kept, client_id: 'notes-cli.notes' }),
    });
    expect(revoked.status).toBe(200);
    const res = await run('token');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^refresh failed: invalid_grant: .+: run login again\.\n$/);
    await expect(stat(tokenFile)).rejects.toThrow(/ENOENT/);
  });

  it('login ends with a clear message when nobody signs in before the timeout', async () => {
    const res = await run('login', { NOTES_LOGIN_TIMEOUT: '1' });
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(
      /^Open this address in a browser to sign in:\n\n {2}http\S+\n\nNo sign-in within 1 s: run login again\.\n$/,
    );
  });
});
