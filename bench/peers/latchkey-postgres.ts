/**
 * Latchkey with its runtime state on PostgreSQL, for `npm run bench:peers -- --latchkey-state postgres`: a real
 * PostgreSQL started as `npm run bench:state` and the tests start it (test/support/postgres.ts: a disposable
 * server on 127.0.0.1 with fsync and synchronous commit off), and latchkey-postgres-server.ts, compiled, on the
 * same manifests and state folders `latchkey dev` would use.
 */

import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startPostgres, type RunningPostgres } from '../../test/support/postgres.ts';
import { startChild, waitForLine, type Child } from '../lib/children.ts';
import { compiledPath, compiledUrl } from '../lib/compiled.ts';
import { IMAGE_NODE_FLAGS, metadataUrl } from '../lib/latchkey-dev.ts';
import { LATCHKEY_POSTGRES_READY, type LatchkeyPostgresConfig } from './peers-protocol.ts';

export interface LatchkeyOnPostgres {
  child: Child;
  issuer: string;
  tokenEndpoint: string;
  jwksUri: string;
  authorizationEndpoint: string;
  readySeconds: number;
  /** The postmaster, whose tree holds every backend serving Latchkey. */
  postgresPid(): number | undefined;
  stop(): Promise<void>;
}

/** The postmaster listening on `port`: a `postgres` process whose command line names the port. */
async function postmasterOf(port: number): Promise<number | undefined> {
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0');
      if (cmdline[0]?.endsWith('postgres') && cmdline.includes(`port=${port}`)) return Number(entry);
    } catch {
      // Gone meanwhile.
    }
  }
  return undefined;
}

export async function startLatchkeyPostgres(
  root: string,
  manifests: string,
  options: { maxSeconds: number; readyTimeoutMs: number },
): Promise<LatchkeyOnPostgres> {
  const db: RunningPostgres = await startPostgres();
  const postmaster = await postmasterOf(db.port);
  const manifestsDir = join(root, 'manifests');
  await mkdir(manifestsDir, { recursive: true });
  await writeFile(join(manifestsDir, 'bench.yaml'), manifests);
  const config: LatchkeyPostgresConfig = { manifestsDir, stateDir: join(root, 'state'), url: db.url };
  const started = performance.now();
  const child = startChild('Latchkey on PostgreSQL', {
    maxSeconds: options.maxSeconds,
    guard: compiledUrl('bench/lib/child-guard.ts'),
    args: [...IMAGE_NODE_FLAGS, compiledPath('bench/peers/latchkey-postgres-server.ts')],
    config,
  });
  try {
    const issuer = await waitForLine(child, LATCHKEY_POSTGRES_READY, options.readyTimeoutMs);
    const readySeconds = (performance.now() - started) / 1000;
    const metadata = (await (await fetch(metadataUrl(issuer))).json()) as {
      token_endpoint: string;
      jwks_uri: string;
      authorization_endpoint: string;
    };
    return {
      child,
      issuer,
      tokenEndpoint: metadata.token_endpoint,
      jwksUri: metadata.jwks_uri,
      authorizationEndpoint: metadata.authorization_endpoint,
      readySeconds,
      postgresPid: () => postmaster,
      stop: () => db.stop(),
    };
  } catch (err) {
    await db.stop();
    throw err;
  }
}
