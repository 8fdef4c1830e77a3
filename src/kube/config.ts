import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { isIPv6 } from 'node:net';
import type * as ClientNode from '@kubernetes/client-node';
import type { KubeConfig, User } from '@kubernetes/client-node';
import { type Clock, systemClock } from '../clock.ts';
import { ConfigError } from '../config-error.ts';

/**
 * Everything the HTTP layer needs to reach one API server as one user. Plain data plus one function;
 * built fresh by loadKubeConfig, so no caller's KubeConfig is ever shared or mutated.
 */
export interface KubeConnection {
  /** The API server's URL; a path (as behind Rancher's proxy) is a prefix of every request path. */
  readonly server: URL;
  /** PEM of the CA that signs the API server's certificate; undefined: the system's CAs. */
  readonly ca?: string;
  /** PEM of the client certificate and key, when the user authenticates with one. */
  readonly cert?: string;
  readonly key?: string;
  readonly insecureSkipTlsVerify: boolean;
  readonly tlsServerName?: string;
  /** The context's namespace (in cluster: the pod's namespace). */
  readonly namespace?: string;
  /** Extra headers on every request (impersonation). */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * The Authorization header value for the next request, or undefined (client certificate). Token files are
   * re-read once they are older than the refresh interval, because bound ServiceAccount tokens rotate (the
   * kubelet replaces them well before they expire, and an expired one is refused).
   */
  authorization(): Promise<string | undefined>;
}

export interface LoadKubeConfigOptions {
  /** Path of a kubeconfig file; absent: the in-cluster configuration of a pod. */
  kubeconfig?: string;
  /** A context of the kubeconfig other than its current one. */
  context?: string;
  /** Prefix of the in-cluster files under /var/run/secrets/kubernetes.io/serviceaccount (tests only). */
  inClusterRoot?: string;
  /** How long a token file's content is used before it is read again (default 60 s, as client-go). */
  tokenFileRefreshMs?: number;
  now?: Clock;
}

const DEFAULT_TOKEN_FILE_REFRESH_MS = 60_000;
const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** The names client-node gave the in-cluster configuration, which messages and `context` still use. */
const IN_CLUSTER = { cluster: 'inCluster', context: 'inClusterContext' } as const;

const require = createRequire(import.meta.url);

/**
 * Loads how to reach the API server: from `kubeconfig` when given, otherwise the pod's in-cluster
 * ServiceAccount. Fails with a ConfigError (field `kubeconfig`) when the configuration cannot work.
 *
 * @example
 * const connection = loadKubeConfig({ kubeconfig: `${homedir()}/.kube/config` });
 * const api = createKubeApi(connection);
 */
export function loadKubeConfig(options: LoadKubeConfigOptions = {}): KubeConnection {
  if (options.kubeconfig === undefined) return inClusterConnection(options);
  const kc = newKubeConfig();
  try {
    kc.loadFromFile(options.kubeconfig);
    if (options.context !== undefined) kc.setCurrentContext(options.context);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError('kubeconfig', (error as Error).message);
  }
  return connectionFrom(kc, options);
}

/**
 * client-node holds about 25 MiB of heap (its generated API classes and their source text) and takes a
 * second to load; only a kubeconfig file needs it (exec plugins, auth providers), so a pod never loads it.
 */
function newKubeConfig(): KubeConfig {
  const { KubeConfig } = require('@kubernetes/client-node') as typeof ClientNode;
  return new KubeConfig();
}

/**
 * The pod's ServiceAccount, as client-go's InClusterConfig reads it: the service environment, the CA and
 * namespace files, and the token file, re-read as it rotates.
 */
function inClusterConnection(options: LoadKubeConfigOptions): KubeConnection {
  const host = process.env.KUBERNETES_SERVICE_HOST;
  const port = process.env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) {
    throw new ConfigError(
      'kubeconfig',
      'not running in a pod (KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are unset); pass a kubeconfig',
    );
  }
  if (options.context !== undefined && options.context !== IN_CLUSTER.context) {
    throw new ConfigError('kubeconfig', `context ${JSON.stringify(options.context)} has no cluster`);
  }
  // client-node's rule, kept so that an existing deployment behind a plain-HTTP proxy port still works.
  const scheme = port === '80' || port === '8080' || port === '8001' ? 'http' : 'https';
  let server: URL;
  try {
    server = new URL(`${scheme}://${isIPv6(host) ? `[${host}]` : host}:${port}`);
  } catch {
    throw new ConfigError('kubeconfig', `cluster ${JSON.stringify(IN_CLUSTER.cluster)}: server is not a URL`);
  }
  const dir = `${options.inClusterRoot ?? ''}${SERVICE_ACCOUNT_DIR}`;
  const ca = pem(`${dir}/ca.crt`, undefined, `cluster ${IN_CLUSTER.cluster} certificate-authority`);
  const namespace = optionalFile(`${dir}/namespace`)?.trim() || undefined;
  return Object.freeze({
    server,
    ...(ca !== undefined ? { ca } : {}),
    insecureSkipTlsVerify: false,
    ...(namespace !== undefined ? { namespace } : {}),
    headers: Object.freeze({}),
    authorization: tokenFileReader(`${dir}/token`, options.now ?? systemClock, options.tokenFileRefreshMs),
  });
}

/** A file's text, or undefined when it does not exist (the namespace file is optional). */
function optionalFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError('kubeconfig', `cannot read ${path}: ${(error as Error).message}`);
  }
}

function connectionFrom(kc: KubeConfig, options: LoadKubeConfigOptions): KubeConnection {
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  const contextName = kc.getCurrentContext();
  if (!cluster) throw new ConfigError('kubeconfig', `context ${JSON.stringify(contextName)} has no cluster`);
  if (!user) throw new ConfigError('kubeconfig', `context ${JSON.stringify(contextName)} has no user`);
  if (cluster.proxyUrl) {
    throw new ConfigError(
      'kubeconfig',
      `cluster ${JSON.stringify(cluster.name)}: proxy-url is not supported`,
    );
  }
  if (user.username || user.password) {
    // Basic authentication was removed from kube-apiserver in 1.19.
    throw new ConfigError(
      'kubeconfig',
      `user ${JSON.stringify(user.name)}: username/password is not supported`,
    );
  }
  let server: URL;
  try {
    server = new URL(cluster.server);
  } catch {
    throw new ConfigError('kubeconfig', `cluster ${JSON.stringify(cluster.name)}: server is not a URL`);
  }
  const ca = pem(cluster.caFile, cluster.caData, `cluster ${cluster.name} certificate-authority`);
  const cert = pem(user.certFile, user.certData, `user ${user.name} client-certificate`);
  const key = pem(user.keyFile, user.keyData, `user ${user.name} client-key`);
  if ((cert === undefined) !== (key === undefined)) {
    throw new ConfigError(
      'kubeconfig',
      `user ${JSON.stringify(user.name)}: a client certificate needs its key`,
    );
  }
  const namespace = kc.getContextObject(contextName)?.namespace?.trim() || undefined;
  const headers: Record<string, string> = {};
  if (user.impersonateUser) headers['Impersonate-User'] = user.impersonateUser;

  return Object.freeze({
    server,
    ...(ca !== undefined ? { ca } : {}),
    ...(cert !== undefined ? { cert, key } : {}),
    insecureSkipTlsVerify: cluster.skipTLSVerify === true,
    ...(cluster.tlsServerName ? { tlsServerName: cluster.tlsServerName } : {}),
    ...(namespace !== undefined ? { namespace } : {}),
    headers: Object.freeze(headers),
    authorization: authorizationFor(kc, user, options),
  });
}

/** PEM text from a file or from base64 data, as kubeconfig allows either. */
function pem(file: string | undefined, data: string | undefined, what: string): string | undefined {
  try {
    if (file) return readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError('kubeconfig', `${what}: cannot read ${file}: ${(error as Error).message}`);
  }
  if (data) return Buffer.from(data, 'base64').toString('utf8');
  return undefined;
}

function authorizationFor(
  kc: KubeConfig,
  user: User,
  options: LoadKubeConfigOptions,
): () => Promise<string | undefined> {
  const tokenFile = (user.authProvider as { config?: { tokenFile?: unknown } } | undefined)?.config
    ?.tokenFile;
  if (typeof tokenFile === 'string') {
    return tokenFileReader(tokenFile, options.now ?? systemClock, options.tokenFileRefreshMs);
  }
  if (user.token) {
    const header = `Bearer ${user.token.trim()}`;
    return () => Promise.resolve(header);
  }
  if (user.exec || user.authProvider) {
    // exec plugins and other auth providers: client-node runs and caches them; we only take the header.
    return async () => {
      const opts: { headers: Record<string, unknown> } = { headers: {} };
      await kc.applyToHTTPSOptions(opts);
      const value = opts.headers.Authorization;
      return typeof value === 'string' ? value : undefined;
    };
  }
  return () => Promise.resolve(undefined);
}

/**
 * Reads a bearer token from a file, again once `refreshMs` has passed. A failed re-read keeps the previous
 * token (the kubelet swaps the file atomically, so a failure is transient); a failed first read throws.
 */
export function tokenFileReader(
  path: string,
  now: Clock,
  refreshMs = DEFAULT_TOKEN_FILE_REFRESH_MS,
): () => Promise<string> {
  let header: string | undefined;
  let readAt = 0;
  let reading: Promise<string> | undefined;
  const read = async (): Promise<string> => {
    try {
      const token = (await readFile(path, 'utf8')).trim();
      if (!token) throw new Error('the file is empty');
      header = `Bearer ${token}`;
      readAt = now();
      return header;
    } catch (error) {
      if (header !== undefined) return header;
      throw new ConfigError('kubeconfig', `token file ${path}: ${(error as Error).message}`);
    } finally {
      reading = undefined;
    }
  };
  return () => {
    if (header !== undefined && now() - readAt < refreshMs) return Promise.resolve(header);
    reading ??= read();
    return reading;
  };
}
