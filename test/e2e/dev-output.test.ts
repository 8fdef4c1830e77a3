/** What `latchkey dev` prints about what it serves: blocked clients apart, and nothing but JSON with --log-format json. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDev, stop, type Dev } from './dev-process.ts';

// payments/api allows no other namespace, so billing's grant is refused (ReferenceNotAllowed).
const MANIFESTS = `apiVersion: latchkey.dev/v1alpha1
kind: ResourceServer
metadata: {name: api, namespace: payments}
spec:
  identifier: https://payments.internal
  scopes: [{name: read}]
---
apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: {name: own, namespace: payments}
spec:
  grants: [{resourceServer: {name: api}, scopes: [read]}]
---
apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: {name: worker, namespace: billing}
spec:
  grants: [{resourceServer: {name: api, namespace: payments}, scopes: [read]}]
`;

describe('latchkey dev output', () => {
  let dir: string;
  let manifests: string;
  let dev: Dev | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'latchkey-dev-output-'));
    manifests = join(dir, 'manifests');
    await mkdir(manifests);
    await writeFile(join(manifests, 'all.yaml'), MANIFESTS);
  });
  afterEach(async () => {
    if (dev) await stop(dev);
    dev = undefined;
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('counts a client whose grant is refused as blocked, not in effect', async () => {
    dev = await startDev(manifests, join(dir, 'state-text'), dir, ['--no-watch']);
    const output = dev.output.join('');
    expect(output).toContain('not ready: OAuthClient billing/worker (ReferenceNotAllowed)');
    expect(output).toContain('applied: 1 APIs, 1 clients in effect, 1 blocked, 1 objects not ready\n');
  });

  it('prints nothing but JSON records with --log-format json, the ready line among them', async () => {
    dev = await startDev(manifests, join(dir, 'state-json'), dir, ['--no-watch', '--log-format', 'json']);
    const lines = dev.output
      .join('')
      .split('\n')
      .filter((l) => l !== '');
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.at(-1)).toEqual({
      level: 30,
      time: expect.any(Number),
      event: 'dev.ready',
      issuer: dev.issuer,
      tryIt: expect.stringMatching(/^curl -s -d client_id=own\.payments /),
      msg: 'Latchkey dev is ready',
    });
    expect(records.find((r) => r['event'] === 'store.swapped')).toMatchObject({
      clientsInEffect: 1,
      clientsBlocked: 1,
    });
  });
});
