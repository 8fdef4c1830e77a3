import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parse, stringify } from 'yaml';

/** A Kubernetes Secret manifest on disk: what dev mode writes and a person could `kubectl apply`. */
export interface SecretFile {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  data: Record<string, string>;
}

export class StateFileError extends Error {
  readonly code = 'LATCHKEY_STATE_FILE';
}

/** Reads a Secret manifest; undefined when the file does not exist; a malformed file is an error, never overwritten. */
export async function readSecretFile(path: string): Promise<SecretFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StateFileError(`${path}: cannot read: ${(err as Error).message}`, { cause: err });
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (cause) {
    throw new StateFileError(
      `${path}: not valid YAML; fix or remove it (it holds credentials, so it is never overwritten)`,
      {
        cause,
      },
    );
  }
  const d = doc as {
    kind?: unknown;
    metadata?: { name?: unknown; namespace?: unknown; labels?: unknown };
    data?: unknown;
  };
  if (
    d?.kind !== 'Secret' ||
    typeof d.metadata?.name !== 'string' ||
    typeof d.data !== 'object' ||
    d.data === null
  ) {
    throw new StateFileError(`${path}: not a Secret manifest with metadata.name and data`);
  }
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(d.data as Record<string, unknown>)) {
    if (typeof v !== 'string') throw new StateFileError(`${path}: data.${k} is not a base64 string`);
    data[k] = Buffer.from(v, 'base64').toString('utf8');
  }
  return {
    name: d.metadata.name,
    ...(typeof d.metadata.namespace === 'string' ? { namespace: d.metadata.namespace } : {}),
    ...(d.metadata.labels && typeof d.metadata.labels === 'object'
      ? { labels: d.metadata.labels as Record<string, string> }
      : {}),
    data,
  };
}

/** Writes a Secret manifest atomically (temp file + rename), readable by the owner only. */
export async function writeSecretFile(path: string, secret: SecretFile): Promise<void> {
  const manifest = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: secret.name,
      ...(secret.namespace !== undefined ? { namespace: secret.namespace } : {}),
      ...(secret.labels !== undefined ? { labels: secret.labels } : {}),
    },
    type: 'Opaque',
    data: Object.fromEntries(
      Object.entries(secret.data).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')]),
    ),
  };
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, stringify(manifest), { mode: 0o600 });
  await rename(tmp, path);
}
