import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseDevArgs } from '../../src/dev/config.ts';
import { startDev, type DevServer } from '../../src/dev/run.ts';
import { EventBus } from '../../src/events.ts';
import { EMBEDDED_STATE_FILE } from '../../src/state/embedded/embedded-state.ts';

const EXAMPLES = new URL('../../examples/', import.meta.url).pathname;

let dir: string;
let manifests: string;
let state: string;
let dev: DevServer | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'latchkey-dev-state-'));
  manifests = join(dir, 'manifests');
  state = join(dir, 'state');
  await cp(EXAMPLES, manifests, { recursive: true });
});

afterAll(async () => {
  await dev?.close();
  await rm(dir, { recursive: true, force: true });
});

function start(): Promise<DevServer> {
  const argv = [
    '--manifests',
    manifests,
    '--state-dir',
    state,
    '--port',
    '0',
    '--ops-port',
    '0',
    '--no-watch',
    // One issuer for both runs, so a token of the first is one of the second's (the port changes).
    '--issuer',
    'http://latchkey.test',
  ];
  return startDev(parseDevArgs(argv, dir), new EventBus());
}

async function credentials(): Promise<{ client_id: string; client_secret: string }> {
  const doc = parse(
    await readFile(join(state, 'secrets', 'payments', 'payments-service-oauth.yaml'), 'utf8'),
  ) as {
    data: Record<string, string>;
  };
  const text = (key: string) => Buffer.from(doc.data[key] ?? '', 'base64').toString();
  return { client_id: text('client_id'), client_secret: text('client_secret') };
}

async function call(path: string, form: Record<string, string>): Promise<Record<string, unknown>> {
  const res = await fetch(`http://127.0.0.1:${dev?.port}/oauth2/${path}`, {
    method: 'POST',
    body: new URLSearchParams({ ...(await credentials()), ...form }),
  });
  const text = await res.text();
  return { status: res.status, ...(text === '' ? {} : (JSON.parse(text) as Record<string, unknown>)) };
}

describe('latchkey dev runtime state', () => {
  it(`keeps a revocation across a restart, in ${EMBEDDED_STATE_FILE} of the state folder`, async () => {
    dev = await start();
    const issue = async () =>
      (await call('token', { grant_type: 'client_credentials' })).access_token as string;
    const [revoked, kept] = [await issue(), await issue()];
    expect(await call('revoke', { token: revoked })).toEqual({ status: 200 });
    expect(await call('introspect', { token: revoked })).toEqual({ status: 200, active: false });
    await dev.close();
    dev = undefined;

    dev = await start();
    expect(await call('introspect', { token: revoked })).toEqual({ status: 200, active: false });
    // The other token of the first run is active: the answer above is the revocation's, not the restart's.
    expect((await call('introspect', { token: kept })).active).toBe(true);
    await expect(readFile(join(state, EMBEDDED_STATE_FILE))).resolves.toBeInstanceOf(Buffer);
  });
});
