import { join } from 'node:path';
import { CLIENT_LABEL, MANAGED_LABELS } from '../api/labels.ts';
import { systemClock } from '../clock.ts';
import type { EventBus } from '../events.ts';
import { decodeKeyRing, encodeKeyRing, KEYS_DATA_KEY } from '../keys/codec.ts';
import { generateSigningKey, generateSigningKeys } from '../keys/generate.ts';
import { keySetAt, type KeyRing } from '../keys/lifecycle.ts';
import { decideRotation, DEFAULT_ROTATION, type RotationSchedule } from '../keys/signing-key-rotation.ts';
import type { SigningKey } from '../keys/signing-keys.ts';
import type { DeclaredOAuthClient, SecretData } from '../store/objects.ts';
import { defaultClientId, secretNameOf } from '../store/names.ts';
import { newClientSecret } from '../store/secrets.ts';
import { readSecretFile, writeSecretFile } from './secret-file.ts';

/** Where dev mode keeps what it generated: signing keys and client Secrets. Nothing here is ever regenerated. */
export class DevState {
  readonly dir: string;
  readonly #events: EventBus;

  constructor(dir: string, events: EventBus) {
    this.dir = dir;
    this.#events = events;
  }

  get keysPath(): string {
    return join(this.dir, 'signing-keys.yaml');
  }

  /** When each object was first seen: who holds a contested name (src/dev/first-seen.ts). */
  get firstSeenPath(): string {
    return join(this.dir, 'first-seen.json');
  }

  /** Which file declared each object first: who keeps an object declared twice (src/dev/declared-in.ts). */
  get declaredInPath(): string {
    return join(this.dir, 'declared-in.json');
  }

  secretPath(namespace: string, name: string): string {
    return join(this.dir, 'secrets', namespace, `${name}.yaml`);
  }

  async #writeKeys(ring: KeyRing): Promise<void> {
    await writeSecretFile(this.keysPath, {
      name: 'latchkey-signing-keys',
      labels: { ...MANAGED_LABELS },
      data: { [KEYS_DATA_KEY]: encodeKeyRing(ring) },
    });
  }

  /**
   * Loads the signing keys, creating them on first start (signing at once: no token exists yet); an
   * unreadable key file is an error, not a reason for new keys.
   */
  async loadKeyRing(now: number): Promise<KeyRing> {
    const existing = await readSecretFile(this.keysPath);
    if (existing) return decodeKeyRing(existing.data[KEYS_DATA_KEY], this.keysPath);
    const keys = await generateSigningKeys();
    const ring: KeyRing = {
      keys: keys.map((key) => ({ key, createdAt: now, activatesAt: now, tokenLifetimeSeconds: 0 })),
      handled: {},
    };
    await this.#writeKeys(ring);
    this.#events.emit('keys.created', { algorithms: keys.map((k) => k.alg) });
    return ring;
  }

  /** The keys that sign at `now`, for a server that does not rotate (the benchmarks). */
  async loadOrCreateKeys(now: number = systemClock()): Promise<SigningKey[]> {
    const ring = await this.loadKeyRing(now);
    return [...keySetAt(ring.keys, now, DEFAULT_ROTATION).active.values()];
  }

  /**
   * Applies the rotation schedule to the stored keys as the operator's leader does
   * (src/keys/signing-key-rotation.ts): publishes next keys when due, removes keys whose tokens have expired,
   * records a longer token lifetime.
   * Resolves with the ring in force and when to call again.
   */
  async rotateKeys(
    ring: KeyRing,
    now: number,
    schedule: RotationSchedule,
    tokenLifetimeSeconds: number,
  ): Promise<{ ring: KeyRing; wakeAt?: number }> {
    const spares: SigningKey[] = [];
    for (;;) {
      const plan = decideRotation({ now, ring, schedule, tokenLifetimeSeconds, requests: {}, spares });
      if (plan.short.length > 0) {
        spares.push(...(await Promise.all(plan.short.map(generateSigningKey))));
        continue;
      }
      if (plan.ring === undefined)
        return plan.wakeAt !== undefined ? { ring, wakeAt: plan.wakeAt } : { ring };
      await this.#writeKeys(plan.ring);
      for (const kid of plan.published) {
        const r = plan.ring.keys.find((k) => k.key.kid === kid) as KeyRing['keys'][number];
        this.#events.emit('keys.published', {
          kid,
          algorithm: r.key.alg,
          activatesAt: new Date(r.activatesAt).toISOString(),
        });
      }
      if (plan.removed.length > 0) this.#events.emit('keys.removed', { kids: plan.removed });
      return plan.wakeAt !== undefined ? { ring: plan.ring, wakeAt: plan.wakeAt } : { ring: plan.ring };
    }
  }

  /**
   * Returns the generated Secret of a client, creating it (with a new 256-bit secret) when missing.
   * An existing secret is kept; only the descriptive keys (client id, issuer, endpoint) are refreshed.
   */
  async ensureClientSecret(
    client: DeclaredOAuthClient,
    urls: { issuer: string; tokenEndpoint: string },
  ): Promise<SecretData> {
    const { namespace } = client.metadata;
    const name = secretNameOf(client);
    const keys = client.spec.secret.keys;
    const path = this.secretPath(namespace, name);
    const existing = await readSecretFile(path);
    const clientId = client.spec.clientId ?? defaultClientId(namespace, client.metadata.name);
    const previous = existing?.data[keys.clientSecret];
    const data = {
      ...existing?.data,
      [keys.clientId]: clientId,
      [keys.clientSecret]: previous !== undefined && previous !== '' ? previous : newClientSecret(),
      [keys.issuer]: urls.issuer,
      [keys.tokenEndpoint]: urls.tokenEndpoint,
    };
    const changed = !existing || Object.entries(data).some(([k, v]) => existing.data[k] !== v);
    if (changed) {
      await writeSecretFile(path, {
        name,
        namespace,
        labels: { ...MANAGED_LABELS, [CLIENT_LABEL]: client.metadata.name },
        data,
      });
      if (previous === undefined || previous === '') {
        this.#events.emit('secret.issued', {
          namespace,
          name,
          clientId,
          reason: existing ? 'recreated' : 'created',
        });
      }
    }
    return { namespace, name, data };
  }
}
