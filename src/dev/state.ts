import { join } from 'node:path';
import { CLIENT_LABEL, MANAGED_LABELS } from '../api/labels.ts';
import type { EventBus } from '../events.ts';
import { decodeKeys, encodeKeys, KEYS_DATA_KEY } from '../keys/codec.ts';
import { generateSigningKeys } from '../keys/generate.ts';
import type { SigningKey } from '../keys/signing-keys.ts';
import type { DeclaredOAuthClient, SecretData } from '../store/objects.ts';
import { defaultClientId, secretNameOf } from '../store/compile.ts';
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

  secretPath(namespace: string, name: string): string {
    return join(this.dir, 'secrets', namespace, `${name}.yaml`);
  }

  /** Loads the signing keys, creating them on first start; an unreadable key file is an error, not a reason for new keys. */
  async loadOrCreateKeys(): Promise<SigningKey[]> {
    const existing = await readSecretFile(this.keysPath);
    if (existing) return decodeKeys(existing.data[KEYS_DATA_KEY], this.keysPath);
    const keys = await generateSigningKeys();
    await writeSecretFile(this.keysPath, {
      name: 'latchkey-signing-keys',
      labels: { ...MANAGED_LABELS },
      data: { [KEYS_DATA_KEY]: encodeKeys(keys) },
    });
    this.#events.emit('keys.created', { algorithms: keys.map((k) => k.alg) });
    return keys;
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
