/**
 * What the operator's integration tests share: a real control plane with the CRDs, an admin client built
 * with Latchkey's own Kubernetes client, manifests applied with kubectl, and operators run in this process.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { parseAllDocuments } from 'yaml';
import { startDev } from '../../src/dev/run.ts';
import { EventBus } from '../../src/events.ts';
import { createKubeApi } from '../../src/kube/api.ts';
import { loadKubeConfig } from '../../src/kube/config.ts';
import { manifestFiles } from '../../src/manifests/index.ts';
import {
  CORE_NAMESPACES,
  CORE_SECRETS,
  type KubeClient,
  type KubeObject,
  type ResourceType,
} from '../../src/kube/types.ts';
import { parseOperatorArgs } from '../../src/operator/config.ts';
import { resourceOf } from '../../src/operator/resources.ts';
import { startOperator, type RunningOperator } from '../../src/operator/run.ts';
import type { KindName } from '../../src/api/kinds.ts';
import { freePort, installCrds, repoRoot, startControlPlane, type ControlPlane } from './envtest.ts';

const run = promisify(execFile);

export const OPERATOR_NAMESPACE = 'latchkey-system';

export interface Cluster {
  cp: ControlPlane;
  api: KubeClient;
  stop(): Promise<void>;
}

export async function startCluster(): Promise<Cluster> {
  const plane = await startControlPlane();
  try {
    await installCrds(plane.kubeconfigPath, join(repoRoot, 'crds'));
    const api = createKubeApi(loadKubeConfig({ kubeconfig: plane.kubeconfigPath }));
    await api.create({ group: '', version: 'v1', plural: 'namespaces', namespaced: false }, undefined, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: OPERATOR_NAMESPACE },
    });
    return {
      cp: plane,
      api,
      stop: async () => {
        await api.close();
        await plane.stop();
      },
    };
  } catch (err) {
    await plane.stop();
    throw err;
  }
}

/** `kubectl apply --server-side` of files or folders, as a GitOps tool would. */
export async function kubectlApply(cluster: Cluster, ...paths: string[]): Promise<string> {
  const args = [
    '--kubeconfig',
    cluster.cp.kubeconfigPath,
    'apply',
    '--server-side',
    '--field-manager',
    'gitops',
  ];
  for (const p of paths) args.push('-f', p);
  const { stdout } = await run('kubectl', args);
  return stdout;
}

/**
 * A copy of examples/ in which every `oidc` Connection points at `issuer` (an upstream on this machine)
 * instead of https://sso.example.com, which does not exist.
 */
/** A real OpenID issuer on 127.0.0.1 for an `oidc` Connection to verify. */
export interface UpstreamIssuer {
  issuer: string;
  close(): Promise<void>;
}

/**
 * Starts Latchkey's own dev mode on an empty folder: a real discovery document and JWKS that the operator's
 * issuer check fetches, in a temporary folder that close() removes.
 */
export async function startUpstreamIssuer(): Promise<UpstreamIssuer> {
  const dir = await mkdtemp(join(tmpdir(), 'latchkey-upstream-'));
  const manifestsDir = join(dir, 'manifests');
  await mkdir(manifestsDir);
  const dev = await startDev(
    {
      manifestsDir,
      stateDir: join(dir, 'state'),
      host: '127.0.0.1',
      port: 0,
      opsPort: 0,
      logFormat: 'text',
      watch: false,
    },
    new EventBus(),
  ).catch(async (error: unknown) => {
    await rm(dir, { recursive: true, force: true });
    throw error;
  });
  return {
    issuer: dev.issuer,
    async close() {
      await dev.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function examplesWithIssuer(issuer: string): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const exampleIssuer = 'https://sso.example.com';
  const dir = await mkdtemp(join(tmpdir(), 'latchkey-examples-'));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  await cp(join(repoRoot, 'examples'), dir, { recursive: true });
  let rewritten = 0;
  for (const file of await manifestFiles(dir)) {
    const text = await readFile(file, 'utf8');
    if (!text.includes(exampleIssuer)) continue;
    await writeFile(file, text.replaceAll(exampleIssuer, issuer));
    rewritten++;
  }
  // Renaming the issuer in the examples must break this helper loudly, not leave the tests on an unreachable one.
  if (rewritten === 0) {
    await cleanup();
    throw new Error(`no manifest below examples/ names ${exampleIssuer}`);
  }
  return { dir, cleanup };
}

/**
 * The Secret examples/oidc-connection/README.md has you create beside its manifests: Latchkey's client secret at
 * the provider, which the Connection `corp-sso` waits for (SecretMissing) and which is not in Git.
 */
export async function createCorpSsoSecret(cluster: Cluster): Promise<void> {
  await cluster.api.create(CORE_SECRETS, 'backoffice', {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'corp-sso-oauth' },
    stringData: { client_secret: 'from-the-provider-admin' },
  });
}

/** Every Latchkey object declared in the YAML files below a folder (recursively, in file order), as `[kind, namespace, name]`. */
export async function declaredIn(dir: string): Promise<[KindName, string, string][]> {
  const out: [KindName, string, string][] = [];
  for (const f of await manifestFiles(dir)) {
    for (const doc of parseAllDocuments(await readFile(f, 'utf8'))) {
      const o = doc.toJS() as {
        apiVersion?: string;
        kind: KindName;
        metadata: { name: string; namespace?: string };
      } | null;
      if (o?.apiVersion?.startsWith('latchkey.dev/'))
        out.push([o.kind, o.metadata.namespace ?? 'default', o.metadata.name]);
    }
  }
  return out;
}

export interface Operator extends RunningOperator {
  events: EventBus;
  identity: string;
}

export interface OperatorOptions {
  /** What the CLI passes from the process environment, e.g. `LATCHKEY_STATE_URL`. */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * The issuer, for replicas that share one as they do behind a Service (then `tokenEndpoint` and `issuer`
   * name the Service, not this replica: reach it at its `port`); default: this replica's own URL.
   */
  issuer?: string;
}

/** `latchkey operator` in this process on 127.0.0.1, with leader election timings short enough for tests. */
export async function operator(
  cluster: Cluster,
  extra: string[] = [],
  identity = 'test-operator',
  options: OperatorOptions = {},
): Promise<Operator> {
  const port = await freePort();
  const events = new EventBus();
  const config = parseOperatorArgs(
    [
      '--issuer',
      options.issuer ?? `http://127.0.0.1:${port}`,
      '--kubeconfig',
      cluster.cp.kubeconfigPath,
      '--namespace',
      OPERATOR_NAMESPACE,
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--ops-port',
      '0',
      '--identity',
      identity,
      '--lease-duration',
      '4s',
      '--renew-deadline',
      '3s',
      '--retry-period',
      '1s',
      // The tests' upstream issuers listen on 127.0.0.1 over plain http: allowed as an operator would.
      '--allow-issuer-hosts',
      '127.0.0.1',
      ...extra,
    ],
    undefined,
    options.env,
  );
  const running = await startOperator(config, { events });
  return Object.assign(running, { events, identity });
}

/** Creates a Namespace in the test cluster, with labels when a test selects namespaces by them. */
export async function createNamespace(
  cluster: Cluster,
  name: string,
  labels?: Record<string, string>,
): Promise<void> {
  await cluster.api.create(CORE_NAMESPACES, undefined, {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, ...(labels !== undefined ? { labels } : {}) },
  });
}

/** Polls until `probe` returns a value `ok` accepts; fails with the last value seen. */
export async function eventually<T>(
  probe: () => Promise<T>,
  ok: (v: T) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  while (performance.now() < deadline) {
    try {
      last = await probe();
      if (ok(last)) return last;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(
    `${what}: last value ${JSON.stringify(last)}${lastError ? `, last error ${String(lastError)}` : ''}`,
  );
}

export async function getObject(
  cluster: Cluster,
  kind: KindName,
  namespace: string,
  name: string,
): Promise<KubeObject | undefined> {
  return cluster.api.get<KubeObject>(resourceOf(kind), namespace, name);
}

export interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  observedGeneration?: number;
}

export function conditionOf(o: KubeObject | undefined, type = 'Ready'): Condition | undefined {
  return ((o?.['status'] as { conditions?: Condition[] } | undefined)?.conditions ?? []).find(
    (c) => c.type === type,
  );
}

export async function secretData(
  cluster: Cluster,
  namespace: string,
  name: string,
): Promise<Record<string, string> | undefined> {
  const s = await cluster.api.get<KubeObject>(CORE_SECRETS, namespace, name);
  if (!s) return undefined;
  return Object.fromEntries(
    Object.entries((s['data'] ?? {}) as Record<string, string>).map(([k, v]) => [
      k,
      Buffer.from(v, 'base64').toString(),
    ]),
  );
}

export interface TokenAnswer {
  status: number;
  body: Record<string, string>;
}

export async function requestToken(endpoint: string, form: Record<string, string>): Promise<TokenAnswer> {
  const res = await fetch(endpoint, { method: 'POST', body: new URLSearchParams(form) });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

/** Gets a token with the credentials of a generated Secret and verifies it as a resource server would. */
export async function tokenFromSecret(
  data: Record<string, string>,
  extra: Record<string, string> = {},
): Promise<{ answer: TokenAnswer; claims?: JWTPayload }> {
  const answer = await requestToken(data['token_endpoint'] as string, {
    client_id: data['client_id'] as string,
    client_secret: data['client_secret'] as string,
    grant_type: 'client_credentials',
    ...extra,
  });
  if (answer.status !== 200) return { answer };
  const jwks = createRemoteJWKSet(new URL(`${data['issuer']}/.well-known/jwks.json`));
  const { payload } = await jwtVerify(answer.body['access_token'] as string, jwks, {
    issuer: data['issuer'] as string,
    typ: 'at+jwt',
  });
  return { answer, claims: payload };
}

/** Every object of a collection in a namespace. */
export async function listAll(
  cluster: Cluster,
  type: ResourceType,
  namespace: string,
): Promise<KubeObject[]> {
  return (await cluster.api.list<KubeObject>(type, { namespace })).items;
}
