import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { ConfigError } from '../config-error.ts';
import type { EventBus } from '../events.ts';
import { systemTimers, type Timers } from '../timers.ts';

/** Where the token server's certificate (PEM, leaf first, then any intermediates) and private key live. */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

/**
 * Calls `onChange` whenever something in `dir` changes; returns a function that stops watching.
 * Injected so a test can prove the polling fallback alone picks up a renewal.
 */
export type DirectoryWatcher = (dir: string, onChange: () => void) => () => void;

export interface TlsOptions extends TlsFiles {
  /** How often the files are read again in case the watcher missed a change; default 30 s. */
  pollIntervalMs?: number;
  timers?: Timers;
  watchDirectory?: DirectoryWatcher;
}

/** A certificate and key that were read together and shown to belong together. */
export interface TlsPair {
  cert: Buffer;
  key: Buffer;
  /** The leaf certificate's serial number, hex as OpenSSL prints it. */
  serialNumber: string;
  /** The leaf certificate's expiry, ISO 8601. */
  notAfter: string;
  /** SHA-256 of both files, to tell whether anything changed since the last read. */
  digest: string;
}

interface Problem {
  /** The command-line option whose file is at fault. */
  option: '--tls-cert' | '--tls-key';
  message: string;
}

type ReadResult = { pair: TlsPair } | { problem: Problem; digest: string };

const DEFAULT_POLL_INTERVAL_MS = 30_000;
/** A writer that replaces the two files one after the other (not the kubelet way) is done within this. */
const SETTLE_MS = 100;
const BEGIN_CERTIFICATE = '-----BEGIN CERTIFICATE-----';
const CERTIFICATE_PEM = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

/**
 * Reads and checks a certificate and key for the token server.
 *
 * @throws {ConfigError} naming the option and the file when a file is unreadable, holds no usable PEM, or
 *   the key is not the certificate's
 * @example
 * const pair = await loadTlsPair({ certFile: '/etc/latchkey/tls/tls.crt', keyFile: '/etc/latchkey/tls/tls.key' });
 * console.log(pair.notAfter);
 */
export async function loadTlsPair(files: TlsFiles): Promise<TlsPair> {
  const result = await readTlsPair(files);
  if ('problem' in result) throw new ConfigError(result.problem.option, result.problem.message);
  return result.pair;
}

/** The options `https.createServer` and `setSecureContext` take for a pair. */
export function secureContextOptions(pair: TlsPair): SecureContextOptions {
  return { cert: pair.cert, key: pair.key };
}

/**
 * `--tls-cert` and `--tls-key` as given on the command line: both (HTTPS) or neither (plain HTTP).
 *
 * @throws {ConfigError} naming the option that is missing its partner
 */
export function tlsFilesOption(
  certFile: string | undefined,
  keyFile: string | undefined,
  resolve: (path: string) => string = (path) => path,
): TlsFiles | undefined {
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (keyFile === undefined)
    throw new ConfigError('--tls-cert', 'needs --tls-key, the private key of the certificate');
  if (certFile === undefined)
    throw new ConfigError('--tls-key', 'needs --tls-cert, the certificate of the private key');
  if (certFile === '') throw new ConfigError('--tls-cert', 'must be a file path, got ""');
  if (keyFile === '') throw new ConfigError('--tls-key', 'must be a file path, got ""');
  return { certFile: resolve(certFile), keyFile: resolve(keyFile) };
}

/**
 * Checks that the issuer's scheme can be served. An `http://` issuer cannot be reached on a port that only
 * speaks TLS. An `https://` issuer without TLS is allowed: a TLS-terminating Ingress, load balancer or
 * tunnel in front of the plain-HTTP token port is a normal deployment (the chart's Ingress is one).
 *
 * @throws {ConfigError} for an `http://` issuer while TLS is on
 */
export function checkIssuerScheme(issuer: string, tls: boolean, field = 'issuer'): void {
  if (tls && issuer.startsWith('http://')) {
    throw new ConfigError(
      field,
      `${issuer} is an http URL, but with --tls-cert and --tls-key the token port speaks only HTTPS: use https://${issuer.slice('http://'.length)}`,
    );
  }
}

async function readTlsPair(files: TlsFiles): Promise<ReadResult> {
  let cert: Buffer;
  let key: Buffer;
  try {
    cert = await readFile(files.certFile);
  } catch (err) {
    return unreadable('--tls-cert', files.certFile, err);
  }
  try {
    key = await readFile(files.keyFile);
  } catch (err) {
    return unreadable('--tls-key', files.keyFile, err);
  }
  const digest = createHash('sha256').update(cert).update('\0').update(key).digest('hex');
  const fail = (option: Problem['option'], message: string): ReadResult => ({
    problem: { option, message },
    digest,
  });

  const pem = cert.toString('latin1');
  const blocks = pem.match(CERTIFICATE_PEM) ?? [];
  // A file cut off mid-way (written in place, read too early) still parses up to its last whole block.
  if (blocks.length === 0 || blocks.length !== pem.split(BEGIN_CERTIFICATE).length - 1) {
    return fail('--tls-cert', `${files.certFile} does not hold whole PEM certificates (BEGIN CERTIFICATE)`);
  }
  const chain: X509Certificate[] = [];
  for (const [i, block] of blocks.entries()) {
    try {
      // Intermediates are parsed too: a chain with a broken tail would fail clients, not the server.
      chain.push(new X509Certificate(block));
    } catch (err) {
      return fail(
        '--tls-cert',
        `${files.certFile}: certificate ${i + 1} is not a valid X.509 certificate (${(err as Error).message})`,
      );
    }
  }
  const leaf = chain[0] as X509Certificate;

  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    return fail(
      '--tls-key',
      `${files.keyFile} does not hold an unencrypted PEM private key (${(err as Error).message})`,
    );
  }
  if (
    privateKey.asymmetricKeyType !== leaf.publicKey.asymmetricKeyType ||
    !leaf.checkPrivateKey(privateKey)
  ) {
    return fail(
      '--tls-key',
      `${files.keyFile} is not the private key of the certificate in ${files.certFile} (serial ${leaf.serialNumber})`,
    );
  }
  const pair: TlsPair = {
    cert,
    key,
    serialNumber: leaf.serialNumber,
    notAfter: leaf.validToDate.toISOString(),
    digest,
  };
  try {
    // What the server will do with the pair; OpenSSL may refuse what node:crypto accepted (e.g. a weak key).
    createSecureContext(secureContextOptions(pair));
  } catch (err) {
    return fail(
      '--tls-cert',
      `${files.certFile} and ${files.keyFile} cannot serve TLS: ${(err as Error).message}`,
    );
  }
  return { pair };
}

function unreadable(option: Problem['option'], file: string, err: unknown): ReadResult {
  const e = err as NodeJS.ErrnoException;
  const message = `cannot read ${file} (${e.message.split(', ')[0]})`;
  // The message stands in for the content: the same unreadable state is reported once, not on every poll.
  return { problem: { option, message }, digest: `unreadable:${message}` };
}

export interface TlsReloaderDeps {
  options: TlsOptions;
  /** The pair being served. */
  current: TlsPair;
  /** Puts a checked pair in force for new connections (`server.setSecureContext`). */
  apply(pair: TlsPair): void;
  events: EventBus;
}

export interface TlsReloader {
  /** Reads the files now and applies them if they changed and are a valid pair. */
  check(): Promise<void>;
  /** Stops watching and polling; resolves once a check in progress has finished. */
  close(): Promise<void>;
}

/**
 * Keeps the served certificate in step with its files. The kubelet renews a mounted Secret by writing a new
 * timestamped folder and swapping the `..data` symlink to it, so the folder holding the files is watched
 * (the old files' inodes never change). Watch events can be lost (inotify overflow, some network and overlay
 * file systems), so the files are also read again every `pollIntervalMs`. A pair that does not check out is
 * reported once per content (`tls.reloadFailed`) and the previous certificate stays in force.
 */
export function startTlsReloader(deps: TlsReloaderDeps): TlsReloader {
  const { options, events } = deps;
  const timers = options.timers ?? systemTimers;
  const pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  const watchDirectory = options.watchDirectory ?? watchWithFs;
  let served = deps.current.digest;
  let seen = served;
  let closed = false;
  let chain = Promise.resolve();
  let settle: unknown;
  let poll: unknown;

  const checkOnce = async (): Promise<void> => {
    if (closed) return;
    const result = await readTlsPair(options);
    const digest = 'pair' in result ? result.pair.digest : result.digest;
    if (closed || digest === seen) return;
    seen = digest;
    if (digest === served) return;
    if ('problem' in result) {
      events.emit('tls.reloadFailed', { message: result.problem.message });
      return;
    }
    try {
      deps.apply(result.pair);
    } catch (err) {
      events.emit('tls.reloadFailed', { message: (err as Error).message });
      return;
    }
    served = digest;
    events.emit('tls.reloaded', { notAfter: result.pair.notAfter });
  };
  const check = (): Promise<void> => {
    chain = chain.then(checkOnce);
    return chain;
  };
  const schedulePoll = (): void => {
    poll = timers.setTimeout(() => {
      void check().then(() => {
        if (!closed) schedulePoll();
      });
    }, pollIntervalMs);
  };

  const directories = [...new Set([dirname(options.certFile), dirname(options.keyFile)])];
  const unwatch = directories.map((dir) =>
    watchDirectory(dir, () => {
      if (closed) return;
      timers.clearTimeout(settle);
      settle = timers.setTimeout(() => void check(), SETTLE_MS);
    }),
  );
  schedulePoll();

  return {
    check,
    async close() {
      closed = true;
      timers.clearTimeout(settle);
      timers.clearTimeout(poll);
      for (const stop of unwatch) stop();
      await chain;
    },
  };
}

function watchWithFs(dir: string, onChange: () => void): () => void {
  try {
    const watcher = watch(dir, { persistent: false }, onChange);
    // A watcher that breaks (the folder removed, a file system without events) leaves the polling in charge.
    watcher.on('error', () => watcher.close());
    return () => watcher.close();
  } catch {
    return () => undefined;
  }
}
