/**
 * Issue 16, item 3, as a person sees it: `latchkey dev` prints a refused token request as one line with the
 * reason, `--log-level warn` leaves it out (with the other info lines), and `--log-format json` puts it in the
 * JSON stream. The client secret is in none of them.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { eventually, startDev, stop, type Dev } from './dev-process.ts';

const MANIFESTS = `apiVersion: latchkey.dev/v1alpha1
kind: ResourceServer
metadata: {name: payments, namespace: billing}
spec:
  identifier: https://payments.internal
  scopes:
    - {name: "payments:read"}
    - {name: "payments:refund"}
---
apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: {name: billing-worker, namespace: billing}
spec:
  grantTypes: [client_credentials]
  grants:
    - resourceServer: {name: payments}
      scopes: ["payments:read"]
`;

const REFUSED =
  "refused: token for client billing-worker.billing: invalid_scope — scope not granted for https://payments.internal (ResourceServer billing/payments): 'payments:refund' (declared, not granted); this client is granted 'payments:read'";

let dir: string;
let manifests: string;
let state: string;
let dev: Dev | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'latchkey-dev-refusals-'));
  manifests = join(dir, 'manifests');
  state = join(dir, 'state');
  await mkdir(manifests);
  await writeFile(join(manifests, 'billing.yaml'), MANIFESTS);
});

afterAll(async () => {
  if (dev) await stop(dev);
  await rm(dir, { recursive: true, force: true });
});

async function secret(): Promise<string> {
  const doc = parse(
    await readFile(join(state, 'secrets', 'billing', 'billing-worker-oauth.yaml'), 'utf8'),
  ) as {
    data: Record<string, string>;
  };
  return Buffer.from(doc.data.client_secret as string, 'base64').toString();
}

/** Asks for a scope the client is not granted; returns what dev mode printed once it answered. */
async function refuse(running: Dev): Promise<{ output: string; clientSecret: string }> {
  const clientSecret = await secret();
  const res = await fetch(`${running.origin}/oauth2/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`billing-worker.billing:${clientSecret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'payments:refund' }),
  });
  expect(res.status).toBe(400);
  // The line is written as the response is sent; a moment for stdout to carry it.
  await new Promise((r) => setTimeout(r, 200));
  return { output: running.output.join(''), clientSecret };
}

describe('latchkey dev prints refused requests', () => {
  it('as one line with the reason, by default', async () => {
    dev = await startDev(manifests, state, dir);
    const { clientSecret } = await refuse(dev);
    const output = await eventually(
      async () => dev?.output.join('') ?? '',
      (text) => text.includes(REFUSED),
      'the refusal line',
    );
    expect(output).toContain(`${REFUSED}\n`);
    expect(output).not.toContain(clientSecret);
    await stop(dev);
    dev = undefined;
  });

  it('not at all with --log-level warn, like every other info line', async () => {
    dev = await startDev(manifests, state, dir, ['--log-level', 'warn']);
    const { output } = await refuse(dev);
    expect(output).not.toContain('refused:');
    expect(output).not.toContain('applied:');
    await stop(dev);
    dev = undefined;
  });

  it('in the JSON stream with --log-format json', async () => {
    dev = await startDev(manifests, state, dir, ['--log-format', 'json']);
    await refuse(dev);
    const text = await eventually(
      async () => dev?.output.join('') ?? '',
      (t) => t.includes('"event":"token.failed"'),
      'the JSON refusal line',
    );
    const line = text.split('\n').find((l) => l.includes('"event":"token.failed"')) as string;
    expect(JSON.parse(line)).toMatchObject({
      level: 30,
      event: 'token.failed',
      endpoint: 'token',
      error: 'invalid_scope',
      clientId: 'billing-worker.billing',
      authenticated: true,
      namespace: 'billing',
      msg: REFUSED,
    });
    expect(text).not.toContain(await secret());
    await stop(dev);
    dev = undefined;
  });
});
