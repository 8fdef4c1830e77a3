import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** A throw-away PKI made with the openssl CLI, and a folder that is updated the way the kubelet does it. */

const run = promisify(execFile);

export interface TestCa {
  dir: string;
  certFile: string;
  keyFile: string;
  /** PEM, what a client that trusts this CA passes as `ca`. */
  cert: string;
}

export interface Leaf {
  cert: string;
  key: string;
  /** Hex, as `X509Certificate#serialNumber` and `getPeerCertificate().serialNumber` print it. */
  serialNumber: string;
  notAfter: string;
}

export async function createCa(dir: string, name = 'Latchkey Test CA'): Promise<TestCa> {
  await mkdir(dir, { recursive: true });
  const certFile = join(dir, 'ca.crt');
  const keyFile = join(dir, 'ca.key');
  await run('openssl', [
    ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'],
    ...['-keyout', keyFile, '-out', certFile, '-days', '3650', '-subj', `/CN=${name}`],
    ...['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
  ]);
  return { dir, certFile, keyFile, cert: await readFile(certFile, 'utf8') };
}

/**
 * A server certificate for 127.0.0.1 and localhost signed by `ca`, with a new key unless `key` (PEM) is
 * given, as cert-manager does with `rotationPolicy: Never`.
 */
export async function issueLeaf(
  ca: TestCa,
  options: { serial: number; days: number; key?: string },
): Promise<Leaf> {
  const dir = await mkdtemp(join(ca.dir, 'leaf-'));
  const certFile = join(dir, 'tls.crt');
  const keyFile = join(dir, 'tls.key');
  if (options.key !== undefined) await writeFile(keyFile, options.key);
  await run('openssl', [
    ...['req', '-x509', '-subj', '/CN=127.0.0.1', '-out', certFile],
    ...(options.key !== undefined
      ? ['-key', keyFile]
      : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile]),
    ...['-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
    ...['-addext', 'basicConstraints=critical,CA:FALSE', '-addext', 'extendedKeyUsage=serverAuth'],
    ...['-CA', ca.certFile, '-CAkey', ca.keyFile],
    ...['-set_serial', `0x${options.serial.toString(16)}`, '-days', String(options.days)],
  ]);
  const cert = await readFile(certFile, 'utf8');
  const x509 = new X509Certificate(cert);
  return {
    cert,
    key: await readFile(keyFile, 'utf8'),
    serialNumber: x509.serialNumber,
    notAfter: x509.validToDate.toISOString(),
  };
}

/**
 * A Secret volume as the kubelet's AtomicWriter keeps it: the files live in a timestamped folder,
 * `..data` links to it, and each visible name links through `..data`. An update writes a new folder and
 * renames a new `..data` link over the old one, so a reader sees the old set or the new one, never a mix.
 */
export class SecretMount {
  readonly dir: string;
  #generation = 0;

  constructor(dir: string) {
    this.dir = dir;
  }

  get certFile(): string {
    return join(this.dir, 'tls.crt');
  }

  get keyFile(): string {
    return join(this.dir, 'tls.key');
  }

  async write(files: Record<string, string>): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    this.#generation += 1;
    const generation = `..2030_03_17_17_46_40.${String(this.#generation).padStart(9, '0')}`;
    await mkdir(join(this.dir, generation));
    for (const [name, content] of Object.entries(files)) {
      await writeFile(join(this.dir, generation, name), content);
    }
    const previous = await readlink(join(this.dir, '..data')).catch(() => undefined);
    await symlink(generation, join(this.dir, '..data_tmp'));
    await rename(join(this.dir, '..data_tmp'), join(this.dir, '..data'));
    if (previous === undefined) {
      for (const name of Object.keys(files)) await symlink(join('..data', name), join(this.dir, name));
    } else {
      await rm(join(this.dir, previous), { recursive: true });
    }
  }
}
