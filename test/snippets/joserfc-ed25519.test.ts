import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus } from '../../src/events.ts';
import { generateSigningKeys, keySetOf } from '../../src/keys/generate.ts';
import { startServers, type RunningServers } from '../../src/server/start.ts';
import { basic, form, NOW_MS, post } from '../http/harness.ts';
import { api, client, FixedSource, grant, snapshot } from '../http/world.ts';
import { SETUP_TIMEOUT_MS, setupSnippet } from './harness.ts';

// joserfc, which warns on `alg: EdDSA` since RFC 9864 deprecated it (issue 9, item 14). Every warning is an
// error here, so a token that only verifies with a warning fails.
const VERIFY = `
import json, sys, warnings
warnings.simplefilter("error")
from joserfc import jwt
from joserfc.jwk import KeySet
given = json.load(sys.stdin)
token = jwt.decode(given["token"], KeySet.import_key_set(given["jwks"]), algorithms=[given["alg"]])
print(token.header["alg"], token.claims["aud"])
`;

const modern = api('modern', 'Ed25519', ['modern:read']);
const legacy = api('legacy', 'EdDSA', ['legacy:read']);
const CLIENT_ID = 'edwards.platform';
const SECRET = 'secret-edwards-4Kq7';

function verify(python: string, given: unknown): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(python, ['-c', VERIFY], { timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(JSON.stringify(given));
  });
}

describe('access tokens under joserfc’s jwt.decode with warnings as errors', () => {
  let python: string;
  let servers: RunningServers;
  beforeAll(async () => {
    python = await setupSnippet('python');
    const keys = keySetOf(await generateSigningKeys());
    const world = snapshot(keys, {
      apis: [modern, legacy],
      clients: [client({ clientId: CLIENT_ID, secrets: [SECRET], grants: [grant(modern), grant(legacy)] })],
    });
    servers = await startServers({
      source: new FixedSource(world),
      port: 0,
      opsPort: 0,
      now: () => NOW_MS,
      events: new EventBus(),
      ready: () => true,
    });
  }, SETUP_TIMEOUT_MS);
  afterAll(() => servers?.close());

  async function tokenAndKeys(audience: string) {
    const res = await post(servers.tokenEndpoint, form({ grant_type: 'client_credentials', audience }), {
      authorization: basic(CLIENT_ID, SECRET),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return { token: res.body['access_token'], jwks: await (await fetch(servers.jwksUri)).json() };
  }

  it('verifies a token of an Ed25519 API without a warning', async () => {
    const given = { ...(await tokenAndKeys(modern.identifier)), alg: 'Ed25519' };
    expect(await verify(python, given)).toEqual({
      code: 0,
      stdout: `Ed25519 ${modern.identifier}\n`,
      stderr: '',
    });
  });

  it('warns on a token of an EdDSA API, which is why Ed25519 is offered', async () => {
    const given = { ...(await tokenAndKeys(legacy.identifier)), alg: 'EdDSA' };
    const answer = await verify(python, given);
    expect(answer.code).not.toBe(0);
    expect(answer.stderr).toContain('EdDSA is deprecated via RFC 9864');
  });
});
