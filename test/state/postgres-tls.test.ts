/**
 * TLS to a real PostgreSQL with CA verification (sslmode semantics of libpq): the server's certificate names
 * db.latchkey.test only and is signed by a test CA, and the backend connects to 127.0.0.1.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { openPostgresState } from '../../src/state/postgres/postgres-state.ts';
import { StateUnavailableError } from '../../src/state/runtime-state.ts';
import { startPostgres, type RunningPostgres } from '../support/postgres.ts';

const run = promisify(execFile);
let dir: string;
let server: RunningPostgres;

async function makeCa(name: string): Promise<void> {
  await run(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
      '-subj',
      `/CN=${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign',
    ],
    { cwd: dir },
  );
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'latchkey-pg-tls-'));
  await makeCa('ca');
  await makeCa('other-ca');
  await run(
    'openssl',
    [
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
      '-subj',
      '/CN=db.latchkey.test',
    ],
    { cwd: dir },
  );
  await writeFile(
    join(dir, 'server.ext'),
    'subjectAltName=DNS:db.latchkey.test\nextendedKeyUsage=serverAuth\n',
  );
  await run(
    'openssl',
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      'server.ext',
      '-out',
      'server.crt',
    ],
    { cwd: dir },
  );
  server = await startPostgres({
    tls: {
      certPem: await readFile(join(dir, 'server.crt'), 'utf8'),
      keyPem: await readFile(join(dir, 'server.key'), 'utf8'),
    },
  });
});
afterAll(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function url(query: string): string {
  return server.url.replace('sslmode=disable', query);
}

const TIMEOUTS = { connectTimeoutMs: 2_000 };

describe('TLS to PostgreSQL', () => {
  it('connects with verify-ca and the right CA (the host name is not checked)', async () => {
    const state = await openPostgresState({
      url: url(`sslmode=verify-ca&sslrootcert=${join(dir, 'ca.crt')}`),
      timeouts: TIMEOUTS,
    });
    await state.ping();
    await state.close();
  });

  it.each([
    [
      'verify-full, right CA, the address is not the certificate’s name',
      'sslmode=verify-full&sslrootcert=ca.crt',
      /altnames|IP: 127\.0\.0\.1/i,
    ],
    ['verify-ca with another CA', 'sslmode=verify-ca&sslrootcert=other-ca.crt', /certificate/i],
    ['verify-full with the system CAs', 'sslmode=verify-full', /certificate/i],
  ])('refuses %s with StateUnavailableError', async (_name, query, message) => {
    const opening = openPostgresState({
      url: url(query.replace(/sslrootcert=([a-z-]+\.crt)/, (_m, f: string) => `sslrootcert=${join(dir, f)}`)),
      timeouts: TIMEOUTS,
    });
    await expect(opening).rejects.toBeInstanceOf(StateUnavailableError);
    await expect(opening).rejects.toThrow(message);
  });

  it('encrypts with require (no verification, as libpq): the server sees its session over SSL', async () => {
    const state = await openPostgresState({
      url: url('sslmode=require&application_name=tls-probe'),
      timeouts: TIMEOUTS,
    });
    const observer = new pg.Client({ connectionString: server.url });
    await observer.connect();
    try {
      await state.ping(); // leaves one idle pooled connection
      const { rows } = await observer.query(
        `select s.ssl from pg_stat_ssl s join pg_stat_activity a using (pid) where a.application_name = 'tls-probe'`,
      );
      expect(rows).toEqual([{ ssl: true }]);
    } finally {
      await observer.end();
      await state.close();
    }
  });
});
