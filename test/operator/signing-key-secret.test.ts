import { describe, expect, it } from 'vitest';
import { EventBus } from '../../src/events.ts';
import { decodeKeyRing, KEYS_DATA_KEY } from '../../src/keys/codec.ts';
import { generateSigningKeys } from '../../src/keys/generate.ts';
import type { KeyRing } from '../../src/keys/lifecycle.ts';
import type { SigningKeys } from '../../src/keys/signing-keys.ts';
import type { Timers } from '../../src/timers.ts';
import { KubeApiError, type KubeApi, type KubeObject, type ResourceType } from '../../src/kube/types.ts';
import {
  decideKeys,
  KEYS_ISSUED_CONFIGMAP,
  OperatorKeys,
  ROTATE_ANNOTATION,
  REVOKE_ANNOTATION,
  SIGNING_KEYS_SECRET,
} from '../../src/operator/signing-key-secret.ts';

describe('what the leader does about a missing signing key Secret', async () => {
  const keys = await generateSigningKeys();
  const ring: KeyRing = {
    keys: keys.map((key) => ({ key, createdAt: 0, activatesAt: 0, tokenLifetimeSeconds: 300 })),
    handled: {},
  };
  const base = {
    leader: true,
    synced: true,
    secretExists: false,
    inMemory: undefined,
    issuedKids: undefined,
  };
  it.each([
    ['a follower', { ...base, leader: false }, 'none'],
    ['a leader before its caches synced', { ...base, synced: false }, 'none'],
    [
      'a leader with the Secret in place',
      { ...base, secretExists: true, inMemory: ring, issuedKids: ['a'] },
      'none',
    ],
    ['a leader on the very first start', base, 'generate'],
    ['a leader whose Secret was deleted', { ...base, inMemory: ring, issuedKids: ['a'] }, 'restore'],
    ['a restarted leader whose Secret was lost', { ...base, issuedKids: ['a', 'b'] }, 'refuse'],
  ])('%s: %s', (_who, input, kind) => {
    const action = decideKeys(input);
    expect(action.kind).toBe(kind);
    if (action.kind === 'restore') expect(action.ring).toBe(ring);
    if (action.kind === 'refuse') expect(action.kids).toEqual(['a', 'b']);
  });
});

/** An API server holding objects in memory, at our own KubeApi interface; `failSecretWrites` refuses that many. */
class MemoryApi implements KubeApi {
  readonly objects = new Map<string, KubeObject>();
  failSecretWrites = 0;
  #version = 0;

  #key(type: ResourceType, name: string) {
    return `${type.plural}/${name}`;
  }
  async get<T extends KubeObject>(type: ResourceType, _ns: string | undefined, name: string) {
    return this.objects.get(this.#key(type, name)) as T | undefined;
  }
  async create<T extends KubeObject>(type: ResourceType, _ns: string | undefined, body: T) {
    if (this.objects.has(this.#key(type, body.metadata.name)))
      throw new KubeApiError(409, 'AlreadyExists', 'exists');
    const stored = { ...body, metadata: { ...body.metadata, resourceVersion: String(++this.#version) } };
    this.objects.set(this.#key(type, body.metadata.name), stored);
    return stored;
  }
  async patch<T extends KubeObject>(
    type: ResourceType,
    _ns: string | undefined,
    name: string,
    body: unknown,
    options?: { resourceVersion?: string },
  ) {
    const current = this.objects.get(this.#key(type, name));
    if (current === undefined) throw new KubeApiError(404, 'NotFound', 'gone');
    if (type.plural === 'secrets' && this.failSecretWrites > 0) {
      this.failSecretWrites--;
      throw new KubeApiError(503, 'ServiceUnavailable', 'etcd is down');
    }
    if (
      options?.resourceVersion !== undefined &&
      options.resourceVersion !== current.metadata.resourceVersion
    )
      throw new KubeApiError(409, 'Conflict', 'moved');
    const b = body as { data?: Record<string, string>; metadata?: { annotations?: Record<string, string> } };
    const next = {
      ...current,
      metadata: {
        ...current.metadata,
        annotations: { ...current.metadata.annotations, ...b.metadata?.annotations },
        resourceVersion: String(++this.#version),
      },
      data: { ...(current['data'] as Record<string, string>), ...b.data },
    };
    this.objects.set(this.#key(type, name), next);
    return next as unknown as T;
  }
  async replace<T extends KubeObject>(): Promise<T> {
    throw new Error('not used');
  }
  async delete(type: ResourceType, _ns: string | undefined, name: string) {
    this.objects.delete(this.#key(type, name));
  }
  async getRaw(): Promise<unknown> {
    throw new Error('not used');
  }
  secret() {
    return this.objects.get(`secrets/${SIGNING_KEYS_SECRET}`);
  }
  ring() {
    const data = this.secret()?.['data'] as Record<string, string>;
    return decodeKeyRing(Buffer.from(data[KEYS_DATA_KEY] as string, 'base64').toString(), 'test');
  }
  issued() {
    return (this.objects.get(`configmaps/${KEYS_ISSUED_CONFIGMAP}`)?.['data'] as { kids: string }).kids.split(
      ',',
    );
  }
}

/** Timers driven by hand: `fire()` runs every timer due at the clock's time. */
class ManualTimers implements Timers {
  pending: { at: number; run: () => void }[] = [];
  readonly clock: { now: number };
  constructor(clock: { now: number }) {
    this.clock = clock;
  }
  setTimeout(run: () => void, ms: number) {
    const t = { at: this.clock.now + ms, run };
    this.pending.push(t);
    return t;
  }
  clearTimeout(handle: unknown) {
    this.pending = this.pending.filter((t) => t !== handle);
  }
  fire() {
    const due = this.pending.filter((t) => t.at <= this.clock.now);
    this.pending = this.pending.filter((t) => t.at > this.clock.now);
    for (const t of due) t.run();
  }
}

const H = 3_600_000;
const schedule = { intervalMs: 30 * 24 * H, prePublishMs: H, clockSkewMs: 60_000 };

function setUp() {
  const api = new MemoryApi();
  const clock = { now: Date.parse('2026-03-01T00:00:00Z') };
  const timers = new ManualTimers(clock);
  const sets: SigningKeys[] = [];
  const events = new EventBus();
  const keys = new OperatorKeys({
    api,
    namespace: 'latchkey-system',
    events,
    now: () => clock.now,
    schedule,
    tokenLifetimeSeconds: () => 300,
    onKeys: (s) => sets.push(s),
    timers,
  });
  /** What the informer would deliver after each write. */
  const sync = () => keys.observe(api.secret());
  return { api, clock, timers, sets, keys, events, sync };
}

describe('OperatorKeys', () => {
  it('creates the keys on first start, recording their kids before the Secret, and rotates on the annotation', async () => {
    const { api, clock, timers, sets, keys, sync } = setUp();
    expect(await keys.reconcile(true, true)).toEqual({ requeueAfterMs: 1 });
    const first = api.ring().keys.map((r) => r.key.kid);
    expect(api.issued()).toEqual(first);
    // The Ed25519 key is published a second time under its `Ed25519` name (src/keys/ed25519-alias.ts).
    const named = (kids: string[]) => [...kids, `${kids[2]}.ed25519`];
    expect(sets.at(-1)?.published.map((k) => k.kid)).toEqual(named(first));

    await api.patch(
      { group: '', version: 'v1', plural: 'secrets', namespaced: true },
      'x',
      SIGNING_KEYS_SECRET,
      {
        metadata: { annotations: { [ROTATE_ANNOTATION]: 'now' } },
      },
    );
    sync();
    const { requeueAfterMs } = await keys.reconcile(true, true);
    expect(requeueAfterMs).toBe(H);
    const rotated = api.ring();
    expect(rotated.handled).toEqual({ rotate: 'now' });
    const next = rotated.keys.map((r) => r.key.kid).filter((kid) => !first.includes(kid));
    expect(next).toHaveLength(3);
    expect(api.issued()).toEqual([...first, ...next]);
    // Published at once, signing only after the pre-publish period, on this replica's timer.
    expect(sets.at(-1)?.published).toHaveLength(8);
    expect(sets.at(-1)?.active.get('RS256')?.kid).toBe(first[0]);
    clock.now += H;
    timers.fire();
    expect(next).toContain(sets.at(-1)?.active.get('RS256')?.kid);
    // Gone from the JWKS once the old keys' tokens have expired; the leader then drops them from the Secret.
    clock.now += 300_000 + 60_000;
    timers.fire();
    expect(sets.at(-1)?.published.map((k) => k.kid)).toEqual(named(next));
    await keys.reconcile(true, true);
    expect(api.ring().keys.map((r) => r.key.kid)).toEqual(next);
    expect(api.issued()).toEqual(next);
  });

  it('keeps a new key in memory through a failed write and writes the same key when retried', async () => {
    const { api, keys, sync } = setUp();
    await keys.reconcile(true, true);
    sync();
    await api.patch(
      { group: '', version: 'v1', plural: 'secrets', namespaced: true },
      'x',
      SIGNING_KEYS_SECRET,
      {
        metadata: { annotations: { [REVOKE_ANNOTATION]: api.ring().keys[0]?.key.kid as string } },
      },
    );
    sync();
    api.failSecretWrites = 1;
    await expect(keys.reconcile(true, true)).rejects.toThrow('etcd is down');
    const recorded = api.issued();
    expect(keys.keys?.active.get('RS256')?.kid).toBe(recorded[0]);
    await keys.reconcile(true, true);
    const after = api.ring();
    const newKid = after.keys.find((r) => r.key.alg === 'RS256')?.key.kid as string;
    expect(recorded).toContain(newKid);
    expect(after.keys.map((r) => r.key.kid)).not.toContain(recorded[0]);
    expect(api.issued()).toEqual(after.keys.map((r) => r.key.kid));
    expect(keys.keys?.active.get('RS256')?.kid).toBe(newKid);
  });

  it('leaves a Secret it cannot read alone, even when a rotation is due, and keeps signing', async () => {
    const { api, clock, keys, sync, sets } = setUp();
    await keys.reconcile(true, true);
    const signing = sets.at(-1)?.active.get('RS256')?.kid;
    await api.patch(
      { group: '', version: 'v1', plural: 'secrets', namespaced: true },
      'x',
      SIGNING_KEYS_SECRET,
      {
        data: { [KEYS_DATA_KEY]: Buffer.from('{oops').toString('base64') },
      },
    );
    sync();
    clock.now += schedule.intervalMs;
    expect(await keys.reconcile(true, true)).toEqual({});
    expect(
      Buffer.from(
        (api.secret()?.['data'] as Record<string, string>)[KEYS_DATA_KEY] as string,
        'base64',
      ).toString(),
    ).toBe('{oops');
    expect(keys.error).toBe(`Secret latchkey-system/${SIGNING_KEYS_SECRET}: keys.json is not JSON`);
    expect(keys.keys?.active.get('RS256')?.kid).toBe(signing);
  });

  it('refuses to issue new keys when keys were issued before and nobody holds them', async () => {
    const { api, keys, events } = setUp();
    await api.create({ group: '', version: 'v1', plural: 'configmaps', namespaced: true }, 'x', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: KEYS_ISSUED_CONFIGMAP },
      data: { kids: 'a,b' },
    });
    const corrupt: string[] = [];
    events.on('keys.corrupt', (e) => corrupt.push(e.message));
    expect(await keys.reconcile(true, true)).toEqual({ requeueAfterMs: 5_000 });
    expect(api.secret()).toBeUndefined();
    expect(corrupt[0]).toContain('no replica holds the keys it held (kids a, b)');
  });
});
