import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseDevArgs } from '../../src/dev/config.ts';
import { startDev, type DevServer } from '../../src/dev/run.ts';
import { EventBus } from '../../src/events.ts';
import { createCa, issueLeaf, type TestCa } from './tls-certs.ts';

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

let dir: string;
let ca: TestCa;
let dev: DevServer | undefined;
let dispatcher: Agent;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'latchkey-tls-dev-'));
  ca = await createCa(join(dir, 'ca'));
  const leaf = await issueLeaf(ca, { serial: 0x3001, days: 30 });
  await mkdir(join(dir, 'manifests'));
  await mkdir(join(dir, 'tls'));
  await writeFile(join(dir, 'manifests', 'reports.yaml'), MANIFEST);
  await writeFile(join(dir, 'tls', 'tls.crt'), leaf.cert);
  await writeFile(join(dir, 'tls', 'tls.key'), leaf.key);
  dispatcher = new Agent({ connect: { ca: ca.cert } });
});

afterAll(async () => {
  await dev?.close();
  await dispatcher.close();
  await rm(dir, { recursive: true, force: true });
});

describe('latchkey dev --tls-cert --tls-key', () => {
  it('defaults the issuer to https, writes it into generated Secrets and serves tokens over HTTPS', async () => {
    const argv = ['--manifests', 'manifests', '--state-dir', 'state', '--port', '0', '--ops-port', '0'];
    const config = parseDevArgs([...argv, '--tls-cert', 'tls/tls.crt', '--tls-key', 'tls/tls.key'], dir);
    expect(config.tls).toEqual({ certFile: join(dir, 'tls/tls.crt'), keyFile: join(dir, 'tls/tls.key') });
    dev = await startDev({ ...config, watch: false }, new EventBus());

    const issuer = `https://127.0.0.1:${dev.port}`;
    expect(dev.issuer).toBe(issuer);
    const secret = parse(
      await readFile(join(dir, 'state/secrets/billing/reporting-job-oauth.yaml'), 'utf8'),
    ) as {
      data: Record<string, string>;
    };
    const data = Object.fromEntries(
      Object.entries(secret.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
    );
    expect(data.issuer).toBe(issuer);
    expect(data.token_endpoint).toBe(`${issuer}/oauth2/token`);

    const res = await undiciFetch(data.token_endpoint as string, {
      method: 'POST',
      dispatcher,
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: data.client_id as string,
        client_secret: data.client_secret as string,
      }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ token_type: 'Bearer', scope: 'reports:read' });
    // Health and metrics stay plain HTTP, for probes and Prometheus inside the pod.
    expect((await fetch(`http://127.0.0.1:${dev.opsPort}/readyz`)).status).toBe(200);
  });
});
