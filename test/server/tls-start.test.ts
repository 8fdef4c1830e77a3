import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, type PeerCertificate } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config-error.ts';
import { EventBus } from '../../src/events.ts';
import { startServers, type StartOptions } from '../../src/server/start.ts';
import { loadTlsPair } from '../../src/server/tls.ts';
import { FixedSource } from '../http/world.ts';
import { NOW_MS, testKeys, world } from '../http/harness.ts';
import { createCa, issueLeaf, type Leaf, type TestCa } from './tls-certs.ts';

let dir: string;
let ca: TestCa;
let leaf: Leaf;
let other: Leaf;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'latchkey-tls-start-'));
  ca = await createCa(join(dir, 'ca'));
  leaf = await issueLeaf(ca, { serial: 0x2001, days: 30 });
  other = await issueLeaf(ca, { serial: 0x2002, days: 30 });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function files(name: string, cert: string, key: string) {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  await writeFile(certFile, cert);
  await writeFile(keyFile, key);
  return { certFile, keyFile };
}

async function options(tls: StartOptions['tls'], issuer?: string): Promise<StartOptions> {
  return {
    source: new FixedSource(world(await testKeys())),
    port: 0,
    opsPort: 0,
    now: () => NOW_MS,
    events: new EventBus(),
    ready: () => true,
    ...(issuer !== undefined ? { issuer } : {}),
    ...(tls !== undefined ? { tls } : {}),
  };
}

/** What start-up rejects with: the error class and its message. */
async function failure(start: Promise<unknown>): Promise<[string, string]> {
  const err = await start.then(
    () => new Error('started'),
    (e: unknown) => e as Error,
  );
  return [err instanceof ConfigError ? 'ConfigError' : err.name, err.message];
}

describe('start-up with --tls-cert and --tls-key', () => {
  it('fails naming a file it cannot read', async () => {
    const { keyFile } = await files('missing-cert', leaf.cert, leaf.key);
    const certFile = join(dir, 'nowhere.crt');
    expect(await failure(startServers(await options({ certFile, keyFile })))).toEqual([
      'ConfigError',
      `--tls-cert: cannot read ${certFile} (ENOENT: no such file or directory)`,
    ]);
    expect(await failure(startServers(await options({ certFile: keyFile, keyFile: dir })))).toEqual([
      'ConfigError',
      `--tls-key: cannot read ${dir} (EISDIR: illegal operation on a directory)`,
    ]);
  });

  it('fails naming the key file when the key is not the certificate’s', async () => {
    const pair = await files('mismatch', leaf.cert, other.key);
    expect(await failure(startServers(await options(pair)))).toEqual([
      'ConfigError',
      `--tls-key: ${pair.keyFile} is not the private key of the certificate in ${pair.certFile} (serial 2001)`,
    ]);
  });

  it('fails naming the certificate file when it holds no certificate, or only part of one', async () => {
    const swapped = await files('swapped', leaf.key, leaf.key);
    expect(await failure(startServers(await options(swapped)))).toEqual([
      'ConfigError',
      `--tls-cert: ${swapped.certFile} does not hold whole PEM certificates (BEGIN CERTIFICATE)`,
    ]);
    // cert-manager's tls.crt is the leaf, then the chain: a cut-off chain is as broken as a cut-off leaf.
    const cut = await files('cut', `${leaf.cert}${ca.cert.slice(0, 200)}`, leaf.key);
    expect(await failure(startServers(await options(cut)))).toEqual([
      'ConfigError',
      `--tls-cert: ${cut.certFile} does not hold whole PEM certificates (BEGIN CERTIFICATE)`,
    ]);
  });

  it('fails naming the key file when it holds no private key', async () => {
    const pair = await files('not-a-key', leaf.cert, leaf.cert);
    const [kind, message] = await failure(startServers(await options(pair)));
    expect([kind, message.replace(/ \(.*\)$/, '')]).toEqual([
      'ConfigError',
      `--tls-key: ${pair.keyFile} does not hold an unencrypted PEM private key`,
    ]);
  });

  it('refuses an http issuer, which a port speaking only HTTPS cannot serve', async () => {
    const pair = await files('issuer', leaf.cert, leaf.key);
    expect(await failure(startServers(await options(pair, 'http://127.0.0.1:8443')))).toEqual([
      'ConfigError',
      'issuer: http://127.0.0.1:8443 is an http URL, but with --tls-cert and --tls-key the token port speaks only HTTPS: use https://127.0.0.1:8443',
    ]);
  });

  it('serves the leaf and its chain, and reports the leaf', async () => {
    const pair = await files('chain', `${leaf.cert}${ca.cert}`, leaf.key);
    expect(await loadTlsPair(pair)).toMatchObject({
      serialNumber: '2001',
      notAfter: leaf.notAfter,
    });
    const servers = await startServers(await options(pair));
    try {
      const chain = await new Promise<PeerCertificate[]>((resolve, reject) => {
        // Trusting nothing, so the chain below is what the server sent, not what the client completed from
        // its own store; the handshake is only looked at, never used.
        const socket = connect({ host: '127.0.0.1', port: servers.port, rejectUnauthorized: false }, () => {
          const certs: PeerCertificate[] = [];
          let c = socket.getPeerCertificate(true) as PeerCertificate & {
            issuerCertificate?: PeerCertificate;
          };
          while (c !== undefined && !certs.includes(c)) {
            certs.push(c);
            c = c.issuerCertificate as typeof c;
          }
          socket.end();
          resolve(certs);
        });
        socket.on('error', reject);
      });
      expect(chain.map((c) => c.subject.CN)).toEqual(['127.0.0.1', 'Latchkey Test CA']);
    } finally {
      await servers.close();
    }
  });
});
