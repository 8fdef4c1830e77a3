import { readFile } from 'node:fs/promises';
import type { Clock } from '../clock.ts';
import { ConfigError } from '../config-error.ts';
import type { OptionDef, OptionValues } from '../option-table.ts';
import type { RuntimeState } from './runtime-state.ts';

/**
 * Where `latchkey operator` keeps its runtime state (issue 11), chosen once at start-up:
 * - `embedded` (the default): SQLite in one file (`--state-path`), for one replica. The chart mounts an
 *   emptyDir there (kept across container restarts, not pod moves) or, with `state.embedded.persistence`, a PVC.
 * - `postgres`: one PostgreSQL shared by every replica; the libpq-style URL comes from `LATCHKEY_STATE_URL`
 *   or a file (`--state-url-file`, a mounted Secret) and never from the command line, where `ps` shows it.
 * - `memory`: each replica alone, lost on restart; the in-memory replay cache with its global capacity and
 *   fair shares (`--replay-capacity`). For a stateless replica that can afford to forget revocations.
 * Dev mode always uses `embedded` in its state folder.
 */
export type StateConfig =
  | { backend: 'memory' }
  | { backend: 'embedded'; path: string }
  | { backend: 'postgres'; url: { env: string; value: string } | { file: string } };

export const STATE_BACKENDS = ['embedded', 'postgres', 'memory'] as const;

/** The environment variable holding the PostgreSQL URL. */
export const STATE_URL_ENV = 'LATCHKEY_STATE_URL';

/** Without `--state-path`: SQLite in memory, the same schema and bounds, gone on restart. */
export const DEFAULT_EMBEDDED_PATH = ':memory:';

export const STATE_OPTIONS = [
  {
    name: 'state',
    type: 'string',
    value: 'B',
    default: 'embedded',
    description:
      'where runtime state (assertion ids against replay, revoked tokens) lives: embedded (SQLite, one replica), postgres (shared by replicas) or memory (each replica alone, lost on restart)',
  },
  {
    name: 'state-path',
    type: 'string',
    value: 'PATH',
    default: DEFAULT_EMBEDDED_PATH,
    description: 'the SQLite file of --state=embedded, on a volume (:memory: is lost on restart)',
  },
  {
    name: 'state-url-file',
    type: 'string',
    value: 'PATH',
    description: `a file holding the PostgreSQL URL of --state=postgres, e.g. a mounted Secret; otherwise the URL comes from ${STATE_URL_ENV}. libpq style: postgres://user:password@host:5432/db?sslmode=verify-full&sslrootcert=/ca.crt`,
  },
] as const satisfies readonly OptionDef[];

/**
 * Reads {@link STATE_OPTIONS}; `env` is the process environment, passed in from the edge.
 *
 * @throws {ConfigError} for an unknown backend, an option of another backend, no PostgreSQL URL, or
 *   `--replay-capacity` (a bound on one replica's memory) with a backend that is not `memory`
 */
export function stateOption(
  values: OptionValues<typeof STATE_OPTIONS> & { 'replay-capacity'?: string },
  env: Readonly<Record<string, string | undefined>>,
): StateConfig {
  const backend = (values.state ?? 'embedded') as (typeof STATE_BACKENDS)[number];
  if (!STATE_BACKENDS.includes(backend)) {
    throw new ConfigError(
      '--state',
      `must be one of ${STATE_BACKENDS.join(', ')}, got ${JSON.stringify(backend)}`,
    );
  }
  const only = (option: keyof typeof values, wanted: string) => {
    if (values[option] !== undefined && backend !== wanted) {
      throw new ConfigError(`--${option}`, `applies to --state ${wanted} only, not --state ${backend}`);
    }
  };
  only('state-path', 'embedded');
  only('state-url-file', 'postgres');
  only('replay-capacity', 'memory');
  if (backend === 'memory') return { backend };
  if (backend === 'embedded') return { backend, path: values['state-path'] ?? DEFAULT_EMBEDDED_PATH };
  const file = values['state-url-file'];
  if (file !== undefined) {
    if (file === '') throw new ConfigError('--state-url-file', 'is empty');
    return { backend, url: { file } };
  }
  const value = env[STATE_URL_ENV];
  if (value === undefined || value === '') {
    throw new ConfigError(
      '--state postgres',
      `needs the PostgreSQL URL in ${STATE_URL_ENV} or in the file named by --state-url-file`,
    );
  }
  return { backend, url: { env: STATE_URL_ENV, value } };
}

/**
 * Opens the runtime state of `config` (undefined for `memory`): migrates the schema and fails start-up with a
 * clear message when it cannot (StateSchemaTooNewError, a ConfigError naming the URL's setting). PostgreSQL's
 * client is loaded only here, so dev mode and `embedded` never pay its memory.
 */
export async function openRuntimeState(config: StateConfig, clock: Clock): Promise<RuntimeState | undefined> {
  switch (config.backend) {
    case 'memory':
      return undefined;
    case 'embedded': {
      const { openEmbeddedState } = await import('./embedded/embedded-state.ts');
      return openEmbeddedState({ path: config.path, clock });
    }
    case 'postgres': {
      const { openPostgresState } = await import('./postgres/postgres-state.ts');
      if ('env' in config.url) return openPostgresState({ url: config.url.value, field: config.url.env });
      const field = `--state-url-file ${config.url.file}`;
      let url: string;
      try {
        url = (await readFile(config.url.file, 'utf8')).trim();
      } catch (error) {
        const reason = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
        throw new ConfigError(field, `cannot be read (${reason})`);
      }
      return openPostgresState({ url, field });
    }
  }
}
