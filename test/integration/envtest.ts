/**
 * A real Kubernetes control plane for integration tests: etcd and kube-apiserver started as local processes,
 * the way controller-runtime's envtest does it. No fake API server, no HTTP mocks.
 *
 * Binaries come from `KUBEBUILDER_ASSETS` (a folder with `kube-apiserver` and `etcd`) when it is set,
 * otherwise from `scripts/envtest/build.sh`, which builds pinned versions from Go modules into a cache folder
 * (or reuses them). Everything binds to 127.0.0.1 and every process is killed by `stop()`, on process exit, and
 * by a watchdog if this process dies without running exit handlers.
 */
import { execFile, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { constants as fsConstants, existsSync, readFileSync } from 'node:fs';
import { access, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { ApiextensionsV1Api, KubeConfig } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import {
  freePort,
  logTail,
  makeTempDir,
  removeTempDir,
  startManaged,
  stopManaged,
  waitUntil,
  type ManagedProcess,
} from '../support/managed-process.ts';

const execFileAsync = promisify(execFile);

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const buildScript = join(repoRoot, 'scripts/envtest/build.sh');
export const serviceAccountIssuer = 'https://kubernetes.default.svc.cluster.local';

export interface ControlPlane {
  /** A kubeconfig file for the admin user (client certificate with O=system:masters). */
  kubeconfigPath: string;
  /** The API server's URL, e.g. https://127.0.0.1:41234 (the same across stopApiServer/startApiServer). */
  server: URL;
  /** PEM of the CA that signed the API server's serving certificate. */
  caPem: string;
  /** PEM of the admin client certificate and its key. */
  adminCertPem: string;
  adminKeyPem: string;
  /** PEM of the CA trusted for client certificates (it signed the admin certificate). */
  clientCaPem: string;
  /** The ServiceAccount token issuer and the public key that verifies its tokens. */
  serviceAccountIssuer: string;
  serviceAccountPublicKeyPem: string;
  /**
   * The API server's ServiceAccount signing key (PKCS #8 PEM), for tests that need a token only the cluster
   * could have signed but TokenRequest will not mint, such as an expired one (it refuses lifetimes under 10 min).
   */
  serviceAccountSigningKeyPem: string;
  /** etcd's client URL (plain HTTP on 127.0.0.1). */
  etcdUrl: URL;
  /** Folder with the binaries used. */
  assetsDir: string;
  /** Stops the API server and etcd and removes the temporary files. Safe to call more than once. */
  stop(): Promise<void>;
  /** Stops the API server alone (etcd keeps running, so the data survives). */
  stopApiServer(): Promise<void>;
  /** Starts the API server again on the same address and waits until it is ready. */
  startApiServer(): Promise<void>;
}

export interface StartOptions {
  /** How long to wait for etcd and the API server to become ready (default 120 s). */
  readyTimeoutMs?: number;
  /** Extra kube-apiserver flags (`--name=value`). */
  apiServerFlags?: string[];
}

const HOW_TO_PROVIDE =
  'Provide the binaries in one of two ways: set KUBEBUILDER_ASSETS to a folder that contains `kube-apiserver` ' +
  'and `etcd` (e.g. the folder printed by `setup-envtest use -p path`), or make Go (with access to the Go module ' +
  `proxy) available on PATH so that ${buildScript} can build them into the cache folder ` +
  '(${LATCHKEY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/latchkey}/envtest/).';

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function checkAssets(dir: string): Promise<string[]> {
  const missing: string[] = [];
  for (const name of ['kube-apiserver', 'etcd']) {
    if (!(await isExecutable(join(dir, name)))) missing.push(name);
  }
  return missing;
}

let assetsPromise: Promise<string> | undefined;

/**
 * Returns the folder that holds `kube-apiserver` and `etcd`: `KUBEBUILDER_ASSETS` when set, otherwise the output
 * of `scripts/envtest/build.sh` (which builds the pinned versions the first time and reuses them afterwards).
 * Throws an Error that explains how to provide the binaries when neither works.
 */
export function resolveAssets(): Promise<string> {
  assetsPromise ??= findAssets();
  assetsPromise.catch(() => {
    assetsPromise = undefined;
  });
  return assetsPromise;
}

async function findAssets(): Promise<string> {
  const fromEnv = process.env.KUBEBUILDER_ASSETS;
  if (fromEnv) {
    const missing = await checkAssets(fromEnv);
    if (missing.length > 0) {
      throw new Error(
        `KUBEBUILDER_ASSETS=${fromEnv} does not contain executable ${missing.join(' and ')}. ${HOW_TO_PROVIDE}`,
      );
    }
    return fromEnv;
  }
  const result = await new Promise<{ code: number | null; stdout: string; stderr: string; error?: Error }>(
    (done) => {
      let stdout = '';
      let stderr = '';
      const child = spawn('bash', [buildScript], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        // The first build takes many minutes: show progress lines (not every downloaded module).
        for (const line of chunk.split('\n'))
          if (line.startsWith('[envtest/build]')) process.stderr.write(`${line}\n`);
      });
      child.on('error', (error) => done({ code: null, stdout, stderr, error }));
      child.on('close', (code) => done({ code, stdout, stderr }));
    },
  );
  const dir = result.stdout.trim().split('\n').at(-1)?.trim() ?? '';
  if (result.code !== 0 || !dir) {
    const tail = result.stderr.trim().split('\n').slice(-25).join('\n');
    throw new Error(
      `Could not get kube-apiserver and etcd: ${buildScript} ` +
        (result.error ? `could not run (${result.error.message})` : `exited with code ${result.code}`) +
        `.\n${tail}\n${HOW_TO_PROVIDE}`,
    );
  }
  const missing = await checkAssets(dir);
  if (missing.length > 0) {
    throw new Error(`${buildScript} printed ${dir}, which lacks ${missing.join(' and ')}. ${HOW_TO_PROVIDE}`);
  }
  return dir;
}

// ---------------------------------------------------------------------------------------------------------------
// Child processes: killed on stop(), on process exit, and by a watchdog if this process dies abruptly
// (test/support/managed-process.ts). Each logs to a file in the control plane's folder.
// ---------------------------------------------------------------------------------------------------------------

// Integration tests and bench/ take freePort from here.
export { freePort };

function stopProcess(m: ManagedProcess | undefined): Promise<void> {
  return stopManaged(m, 'SIGTERM');
}

interface Probe {
  status: number;
  body: string;
}

function get(url: URL, tls?: { ca: string; cert: string; key: string }): Promise<Probe> {
  return new Promise((done, fail) => {
    const options = { timeout: 5_000, ...(tls ?? {}) };
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => done({ status: res.statusCode ?? 0, body }));
      res.on('error', fail);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', fail);
    req.end();
  });
}

function waitFor(
  m: ManagedProcess,
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
): Promise<void> {
  return waitUntil(m, { timeoutMs, intervalMs: 250, before: what, didNot: `become ${what}` }, check);
}

// ---------------------------------------------------------------------------------------------------------------
// Certificates (openssl CLI for X.509, node:crypto for the ServiceAccount key pair)
// ---------------------------------------------------------------------------------------------------------------

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await execFileAsync('openssl', args, { cwd });
  } catch (error) {
    const e = error as Error & { stderr?: string };
    throw new Error(`openssl ${args[0]} failed: ${e.stderr ?? e.message}`, { cause: error });
  }
}

interface Pki {
  clientCaPath: string;
  clientCaPem: string;
  adminCertPem: string;
  adminKeyPem: string;
  saPublicPath: string;
  saPrivatePath: string;
  saPublicPem: string;
  saPrivatePem: string;
}

async function makePki(dir: string): Promise<Pki> {
  const ec = '-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -sha256';
  const words = (s: string) => s.split(/\s+/).filter(Boolean);
  await openssl(
    [
      ...words(
        `req -x509 ${ec} -days 2 -keyout client-ca.key -out client-ca.crt -subj /CN=latchkey-envtest-client-ca`,
      ),
      ...['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    ],
    dir,
  );
  await openssl(
    words(
      `req -new ${ec} -keyout admin.key -out admin.csr -subj /O=system:masters/CN=latchkey-envtest-admin`,
    ),
    dir,
  );
  await writeFile(
    join(dir, 'admin.ext'),
    'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n',
  );
  await openssl(
    words(
      'x509 -req -in admin.csr -CA client-ca.crt -CAkey client-ca.key -CAcreateserial -days 2 -sha256 ' +
        '-extfile admin.ext -out admin.crt',
    ),
    dir,
  );
  const sa = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const saPublicPath = join(dir, 'sa.pub');
  const saPrivatePath = join(dir, 'sa.key');
  await writeFile(saPublicPath, sa.publicKey);
  await writeFile(saPrivatePath, sa.privateKey, { mode: 0o600 });
  return {
    clientCaPath: join(dir, 'client-ca.crt'),
    clientCaPem: await readFile(join(dir, 'client-ca.crt'), 'utf8'),
    adminCertPem: await readFile(join(dir, 'admin.crt'), 'utf8'),
    adminKeyPem: await readFile(join(dir, 'admin.key'), 'utf8'),
    saPublicPath,
    saPrivatePath,
    saPublicPem: sa.publicKey,
    saPrivatePem: sa.privateKey,
  };
}

/** The CA the API server generated in --cert-dir: apiserver.crt holds the serving certificate, then its CA. */
function servingCa(certDir: string): string | undefined {
  const path = join(certDir, 'apiserver.crt');
  if (!existsSync(path)) return undefined;
  const blocks = readFileSync(path, 'utf8').match(
    /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g,
  );
  if (!blocks || blocks.length < 2) return undefined;
  return `${blocks.slice(1).join('\n')}\n`;
}

function kubeconfigYaml(server: URL, caPem: string, certPem: string, keyPem: string): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'envtest', cluster: { server: server.origin, 'certificate-authority-data': b64(caPem) } },
    ],
    users: [
      {
        name: 'envtest-admin',
        user: { 'client-certificate-data': b64(certPem), 'client-key-data': b64(keyPem) },
      },
    ],
    contexts: [
      { name: 'envtest', context: { cluster: 'envtest', user: 'envtest-admin', namespace: 'default' } },
    ],
    'current-context': 'envtest',
    preferences: {},
  };
  // JSON is YAML: kubectl and @kubernetes/client-node read it as a kubeconfig.
  return `${JSON.stringify(config, null, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------------------------
// The control plane
// ---------------------------------------------------------------------------------------------------------------

async function startEtcd(
  bin: string,
  dir: string,
  timeoutMs: number,
): Promise<{ m: ManagedProcess; url: URL }> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const [clientPort, peerPort] = [await freePort(), await freePort()];
    const client = `http://127.0.0.1:${clientPort}`;
    const peer = `http://127.0.0.1:${peerPort}`;
    const dataDir = await mkdtemp(join(dir, 'etcd-data-'));
    const m = startManaged({
      name: 'etcd',
      binary: bin,
      args: [
        '--name=envtest',
        `--data-dir=${dataDir}`,
        `--listen-client-urls=${client}`,
        `--advertise-client-urls=${client}`,
        `--listen-peer-urls=${peer}`,
        `--initial-advertise-peer-urls=${peer}`,
        `--initial-cluster=envtest=${peer}`,
        '--unsafe-no-fsync=true',
        '--log-level=warn',
      ],
      logPath: join(dir, `etcd-${attempt}.log`),
      tempDir: dir,
    });
    const url = new URL(client);
    try {
      await waitFor(m, 'healthy', timeoutMs, async () => {
        const res = await get(new URL('/health', url));
        return res.status === 200 && /"health"\s*:\s*"true"/.test(res.body);
      });
      return { m, url };
    } catch (error) {
      lastError = error;
      await stopProcess(m);
      // A port taken between freePort() and the bind: try again with other ports.
      if (!/address already in use/.test(logTail(m.logPath, 200))) break;
    }
  }
  throw lastError;
}

/**
 * Starts etcd and kube-apiserver on free 127.0.0.1 ports with fresh certificates, and writes an admin
 * kubeconfig. Throws (never skips) when the binaries cannot be found or built.
 */
export async function startControlPlane(options: StartOptions = {}): Promise<ControlPlane> {
  const timeoutMs = options.readyTimeoutMs ?? 120_000;
  const assetsDir = await resolveAssets();
  const dir = await makeTempDir('latchkey-envtest-');
  let etcd: ManagedProcess | undefined;
  let api: ManagedProcess | undefined;
  let stopped = false;

  const cleanup = async () => {
    await stopProcess(api);
    await stopProcess(etcd);
    await removeTempDir(dir);
  };

  try {
    const pki = await makePki(dir);
    const started = await startEtcd(join(assetsDir, 'etcd'), dir, timeoutMs);
    etcd = started.m;
    const etcdUrl = started.url;
    const certDir = join(dir, 'apiserver-certs');
    const kubeconfigPath = join(dir, 'kubeconfig');
    let port = await freePort();
    let server = new URL(`https://127.0.0.1:${port}`);
    let caPem = '';
    let runs = 0;

    const apiArgs = () => [
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${port}`,
      `--cert-dir=${certDir}`,
      `--etcd-servers=${etcdUrl.origin}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      '--allow-privileged=true',
      '--disable-admission-plugins=ServiceAccount',
      '--authorization-mode=RBAC',
      `--client-ca-file=${pki.clientCaPath}`,
      `--service-account-issuer=${serviceAccountIssuer}`,
      `--service-account-key-file=${pki.saPublicPath}`,
      `--service-account-signing-key-file=${pki.saPrivatePath}`,
      ...(options.apiServerFlags ?? []),
    ];

    const launchApiServer = async (): Promise<void> => {
      if (stopped) throw new Error('the control plane was stopped');
      if (api && api.exitCode === undefined) return;
      runs++;
      const m = startManaged({
        name: 'kube-apiserver',
        binary: join(assetsDir, 'kube-apiserver'),
        args: apiArgs(),
        logPath: join(dir, `kube-apiserver-${runs}.log`),
        tempDir: dir,
      });
      api = m;
      await waitFor(m, 'ready', timeoutMs, async () => {
        const ca = servingCa(certDir);
        if (!ca) return false;
        const res = await get(new URL('/readyz', server), {
          ca,
          cert: pki.adminCertPem,
          key: pki.adminKeyPem,
        });
        if (res.status !== 200) throw new Error(`/readyz answered ${res.status}: ${res.body.slice(0, 500)}`);
        caPem = ca;
        return true;
      });
    };

    for (let attempt = 1; ; attempt++) {
      try {
        await launchApiServer();
        break;
      } catch (error) {
        const portTaken = api && /address already in use/.test(logTail(api.logPath, 200));
        await stopProcess(api);
        if (!portTaken || attempt >= 3) throw error;
        port = await freePort();
        server = new URL(`https://127.0.0.1:${port}`);
      }
    }
    await writeFile(kubeconfigPath, kubeconfigYaml(server, caPem, pki.adminCertPem, pki.adminKeyPem), {
      mode: 0o600,
    });

    return {
      kubeconfigPath,
      server,
      caPem,
      adminCertPem: pki.adminCertPem,
      adminKeyPem: pki.adminKeyPem,
      clientCaPem: pki.clientCaPem,
      serviceAccountIssuer,
      serviceAccountPublicKeyPem: pki.saPublicPem,
      serviceAccountSigningKeyPem: pki.saPrivatePem,
      etcdUrl,
      assetsDir,
      async stop() {
        if (stopped) return;
        stopped = true;
        await cleanup();
      },
      async stopApiServer() {
        await stopProcess(api);
      },
      async startApiServer() {
        try {
          await launchApiServer();
        } catch (error) {
          await stopProcess(api);
          throw error;
        }
      },
    };
  } catch (error) {
    stopped = true;
    await cleanup();
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// CRDs
// ---------------------------------------------------------------------------------------------------------------

/**
 * Applies every YAML file in `dir` (server-side apply with kubectl) and waits until each
 * CustomResourceDefinition in them is Established. Returns the CRD names.
 */
export async function installCrds(
  kubeconfigPath: string,
  dir: string,
  timeoutMs = 60_000,
): Promise<string[]> {
  const files = (await readdir(dir))
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort()
    .map((f) => join(dir, f));
  if (files.length === 0) throw new Error(`no YAML files in ${dir}`);
  const names: string[] = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(await readFile(file, 'utf8'))) {
      const obj = doc.toJS() as { kind?: string; metadata?: { name?: string } } | null;
      if (obj?.kind === 'CustomResourceDefinition' && obj.metadata?.name) names.push(obj.metadata.name);
    }
  }
  const args = [
    '--kubeconfig',
    kubeconfigPath,
    'apply',
    '--server-side',
    '--force-conflicts',
    '--field-manager=latchkey-envtest',
  ];
  for (const file of files) args.push('-f', file);
  try {
    await execFileAsync('kubectl', args, { timeout: timeoutMs });
  } catch (error) {
    const e = error as Error & { stderr?: string };
    throw new Error(`kubectl apply of ${dir} failed: ${e.stderr || e.message}`, { cause: error });
  }

  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const deadline = Date.now() + timeoutMs;
  for (const name of names) {
    for (;;) {
      const crd = await api.readCustomResourceDefinition({ name });
      const established = crd.status?.conditions?.find((c) => c.type === 'Established');
      if (established?.status === 'True') break;
      if (Date.now() > deadline) {
        throw new Error(
          `CRD ${name} not Established within ${timeoutMs} ms: ${JSON.stringify(crd.status?.conditions)}`,
        );
      }
      await sleep(200);
    }
  }
  return names;
}
