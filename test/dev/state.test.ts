import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { oauthClientSpec } from '../../src/api/oauth-client.ts';
import { DevState } from '../../src/dev/state.ts';
import { EventBus } from '../../src/events.ts';
import { KeyStoreCorruptError } from '../../src/keys/codec.ts';
import { DEFAULT_ROTATION } from '../../src/keys/signing-key-rotation.ts';
import type { DeclaredOAuthClient } from '../../src/store/objects.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'latchkey-state-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const client = (spec: unknown = {}): DeclaredOAuthClient => ({
  kind: 'OAuthClient',
  metadata: { namespace: 'billing', name: 'worker' },
  spec: oauthClientSpec.parse(spec),
});
const T = Date.parse('2026-03-01T00:00:00Z');
const urls = { issuer: 'http://127.0.0.1:1', tokenEndpoint: 'http://127.0.0.1:1/oauth2/token' };

describe('dev state folder', () => {
  it('creates signing keys once and loads the same keys afterwards', async () => {
    const events = new EventBus();
    const created: string[][] = [];
    events.on('keys.created', (e) => created.push(e.algorithms));
    const first = await new DevState(dir, events).loadKeyRing(T);
    const second = await new DevState(dir, events).loadKeyRing(T + 1000);
    expect(second.keys.map((r) => r.key.kid)).toEqual(first.keys.map((r) => r.key.kid));
    expect(second.keys.map((r) => r.activatesAt)).toEqual([T, T, T]);
    expect(created).toEqual([['RS256', 'ES256', 'EdDSA']]);
  });

  it('rotates the state folder keys on the operator schedule: publishes the next key ahead, then drops the old one', async () => {
    const events = new EventBus();
    const published: string[] = [];
    events.on('keys.published', (e) => published.push(e.kid));
    const state = new DevState(dir, events);
    const ring = await state.loadKeyRing(T);
    const due = T + DEFAULT_ROTATION.intervalMs - DEFAULT_ROTATION.prePublishMs;
    expect((await state.rotateKeys(ring, T, DEFAULT_ROTATION, 300)).wakeAt).toBe(due);
    const rotated = await state.rotateKeys(ring, due, DEFAULT_ROTATION, 300);
    expect(published).toHaveLength(3);
    expect((await state.loadKeyRing(due)).keys.map((r) => r.key.kid)).toEqual(
      rotated.ring.keys.map((r) => r.key.kid),
    );
    const later = T + DEFAULT_ROTATION.intervalMs + 300_000 + DEFAULT_ROTATION.clockSkewMs;
    const cleaned = await state.rotateKeys(rotated.ring, later, DEFAULT_ROTATION, 300);
    expect(cleaned.ring.keys.map((r) => r.key.kid)).toEqual(published);
  });

  it('fails loudly on a corrupt key file and leaves it as it is', async () => {
    const state = new DevState(dir, new EventBus());
    await state.loadKeyRing(T);
    await writeFile(
      state.keysPath,
      'apiVersion: v1\nkind: Secret\nmetadata: {name: k}\ndata: {keys.json: bm9wZQ==}\n',
    );
    await expect(state.loadKeyRing(T)).rejects.toThrow(KeyStoreCorruptError);
    expect(await readFile(state.keysPath, 'utf8')).toContain('bm9wZQ==');
  });

  it('writes a Kubernetes Secret manifest with the four keys and keeps the secret across restarts', async () => {
    const events = new EventBus();
    const issued: unknown[] = [];
    events.on('secret.issued', (e) => issued.push(e));
    const s1 = await new DevState(dir, events).ensureClientSecret(client(), urls);
    expect(Object.keys(s1.data).sort()).toEqual(['client_id', 'client_secret', 'issuer', 'token_endpoint']);
    expect(s1.data['client_id']).toBe('worker.billing');
    expect(s1.data['client_secret']).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const text = await readFile(join(dir, 'secrets/billing/worker-oauth.yaml'), 'utf8');
    expect(text).toContain('kind: Secret');
    expect(text).not.toContain(s1.data['client_secret']);
    const s2 = await new DevState(dir, events).ensureClientSecret(client(), {
      ...urls,
      issuer: 'http://other',
    });
    expect(s2.data['client_secret']).toBe(s1.data['client_secret']);
    expect(s2.data['issuer']).toBe('http://other');
    expect(issued).toEqual([
      { namespace: 'billing', name: 'worker-oauth', clientId: 'worker.billing', reason: 'created' },
    ]);
  });

  it('uses the configured Secret name and key names', async () => {
    const s = await new DevState(dir, new EventBus()).ensureClientSecret(
      client({
        secret: {
          name: 'creds',
          keys: { clientId: 'id', clientSecret: 'pw', issuer: 'iss', tokenEndpoint: 'url' },
        },
      }),
      urls,
    );
    expect(s.name).toBe('creds');
    expect(Object.keys(s.data).sort()).toEqual(['id', 'iss', 'pw', 'url']);
  });

  it('refuses to overwrite an unreadable Secret file', async () => {
    const state = new DevState(dir, new EventBus());
    await state.ensureClientSecret(client(), urls);
    const path = state.secretPath('billing', 'worker-oauth');
    await writeFile(path, ': : not yaml [');
    await expect(state.ensureClientSecret(client(), urls)).rejects.toThrow(
      /not valid YAML; fix or remove it/,
    );
    expect(await readFile(path, 'utf8')).toBe(': : not yaml [');
  });
});
