/**
 * The resource-server snippets that docs/verifying-tokens.md shows verbatim, one per language, against `latchkey dev`:
 * each accepts the access tokens Latchkey issues for its API and refuses, with exit status 1, a token for another
 * API, with another issuer, of another `typ` (RFC 9068 §4: another JWT signed with Latchkey's own key), expired,
 * or signed by a key the JWKS does not hold.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { codeBlocks } from '../support/markdown.ts';
import {
  INVENTORY,
  ROOT,
  SETUP_TIMEOUT_MS,
  SHIPPING,
  setupSnippet,
  startLatchkey,
  type Latchkey,
} from './harness.ts';

interface Verifier {
  lang: string;
  /** What runs the snippet, from what `scripts/snippets/setup-<lang>.sh` printed. */
  command(setup: string): { command: string; args: string[] };
}

const VERIFIERS: Verifier[] = [
  { lang: 'node', command: () => ({ command: process.execPath, args: [join(ROOT, 'snippets/node/verify-token.mjs')] }) },
  { lang: 'python', command: (python) => ({ command: python, args: [join(ROOT, 'snippets/python/verify_token.py')] }) },
  { lang: 'go-verify', command: (binary) => ({ command: binary, args: [] }) },
  { lang: 'java', command: (classpath) => ({ command: 'java', args: ['-cp', classpath, 'example.VerifyToken'] }) },
]; // prettier-ignore

/** The programs of docs/verifying-tokens.md, in the order it shows them. */
const SNIPPETS = [
  'snippets/node/verify-token.mjs',
  'snippets/go-verify/main.go',
  'snippets/python/verify_token.py',
  'snippets/java/src/main/java/example/VerifyToken.java',
];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function verify(
  run: { command: string; args: string[] },
  token: string,
  env: { issuer: string; audience: string },
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      run.command,
      run.args,
      {
        env: { ...process.env, LATCHKEY_ISSUER: env.issuer, LATCHKEY_AUDIENCE: env.audience },
        timeout: 60_000,
        killSignal: 'SIGKILL',
      },
      (err, stdout, stderr) => {
        if (err?.killed) reject(new Error(`${run.command} timed out:\n${stdout}\n${stderr}`));
        else resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr });
      },
    );
    child.stdin?.end(token);
  });
}

describe('verifying access tokens (docs/verifying-tokens.md)', () => {
  let latchkey: Latchkey | undefined;
  const runs = new Map<string, { command: string; args: string[] }>();
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    for (const v of VERIFIERS) runs.set(v.lang, v.command(await setupSnippet(v.lang)));
    latchkey = await startLatchkey();
    const l = latchkey;
    const secret = (key: string) => readFile(join(l.secretDir, key), 'utf8');
    const basic = Buffer.from(`${await secret('client_id')}:${await secret('client_secret')}`).toString(
      'base64',
    );
    for (const audience of [INVENTORY, SHIPPING]) {
      const res = await fetch(l.dev.tokenEndpoint, {
        method: 'POST',
        headers: { authorization: `Basic ${basic}` },
        body: new URLSearchParams({ grant_type: 'client_credentials', audience }),
      });
      tokens[audience] = ((await res.json()) as { access_token: string }).access_token;
    }
    // Tokens Latchkey never issues, signed with its own RS256 key or a stranger's.
    const stored = parse(await readFile(join(l.workDir, '.latchkey', 'signing-keys.yaml'), 'utf8')) as {
      data: { 'keys.json': string };
    };
    const keys = JSON.parse(Buffer.from(stored.data['keys.json'], 'base64').toString()) as {
      keys: { alg: string; kid: string; privateJwk: JWK }[];
    };
    const rs256 = keys.keys.find((k) => k.alg === 'RS256');
    if (!rs256) throw new Error('no RS256 key in the state folder');
    const own = await importJWK(rs256.privateJwk, 'RS256');
    const stranger = (await generateKeyPair('RS256')).privateKey;
    const now = Math.floor(Date.now() / 1000);
    const forge = (
      key: CryptoKey | Uint8Array,
      header: { typ: string; kid: string },
      exp: number,
      issuer = l.dev.issuer,
    ) =>
      new SignJWT({ client_id: 'order-worker.orders', scope: 'inventory:read', jti: `forged-${exp}` })
        .setProtectedHeader({ alg: 'RS256', ...header })
        .setIssuer(issuer)
        .setSubject('order-worker.orders')
        .setAudience(INVENTORY)
        .setIssuedAt(now - 600)
        .setExpirationTime(exp)
        .sign(key);
    tokens['typ JWT'] = await forge(own, { typ: 'JWT', kid: rs256.kid }, now + 300);
    tokens['expired'] = await forge(own, { typ: 'at+jwt', kid: rs256.kid }, now - 120);
    tokens['stranger'] = await forge(stranger, { typ: 'at+jwt', kid: rs256.kid }, now + 300);
    tokens['other issuer'] = await forge(
      own,
      { typ: 'at+jwt', kid: rs256.kid },
      now + 300,
      'https://elsewhere.example',
    );
  }, SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await latchkey?.close();
  });

  it('are shown verbatim in docs/verifying-tokens.md', async () => {
    const page = codeBlocks(await readFile(join(ROOT, 'docs/verifying-tokens.md'), 'utf8'));
    const included = page.filter((b) => b.marker?.kind === 'include');
    expect(included.map((b) => b.marker?.arg)).toEqual(SNIPPETS);
    for (const b of included) {
      expect(b.body, b.marker?.arg).toBe(await readFile(join(ROOT, b.marker?.arg as string), 'utf8'));
    }
  });

  describe.each(VERIFIERS.map((v) => v.lang))('the %s snippet', (lang) => {
    const run = (token: string, env: { audience: string }) =>
      verify(runs.get(lang) as { command: string; args: string[] }, token, {
        issuer: (latchkey as Latchkey).dev.issuer,
        audience: env.audience,
      });

    it.each([
      { audience: INVENTORY, scope: 'inventory:read inventory:write', alg: 'RS256' },
      { audience: SHIPPING, scope: 'shipping:read', alg: 'ES256' },
    ])('accepts a $alg token for $audience and prints its claims', async ({ audience, scope }) => {
      const res = await run(tokens[audience] as string, { audience });
      expect(res, res.stderr).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(res.stdout)).toEqual({
        sub: 'order-worker.orders',
        client_id: 'order-worker.orders',
        scope,
        aud: audience,
      });
    });

    it.each([
      { case: 'a token for another API', token: SHIPPING, audience: INVENTORY },
      {
        case: 'a token of another issuer signed with Latchkey’s key',
        token: 'other issuer',
        audience: INVENTORY,
      },
      { case: 'a JWT of typ JWT signed with Latchkey’s key', token: 'typ JWT', audience: INVENTORY },
      { case: 'an expired token', token: 'expired', audience: INVENTORY },
      { case: 'a token signed by a key the JWKS does not hold', token: 'stranger', audience: INVENTORY },
    ])('refuses $case', async ({ token, audience }) => {
      const res = await run(tokens[token] as string, { audience });
      expect(res.code, res.stdout).toBe(1);
      expect(res.stdout).toBe('');
      expect(res.stderr).toMatch(/^token rejected: \S/);
    });
  });
});
