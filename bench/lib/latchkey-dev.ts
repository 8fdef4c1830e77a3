/**
 * `latchkey dev` as the token benches run it: the APIs and the client `npm run bench` and `bench:peers` ask
 * tokens for, their manifests, and starting dev mode on a temporary folder with ports the system picks.
 */

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse } from 'yaml';
import { startChild, waitForLine, type Child } from './children.ts';
import { compiledPath, compiledUrl } from './compiled.ts';
import type { BenchAlgorithm } from './protocol.ts';

export const ALGORITHMS: readonly BenchAlgorithm[] = ['RS256', 'ES256'];

/** Where Latchkey serves its metadata for `issuer` (RFC 8414 §3: the well-known path goes before the issuer's). */
export function metadataUrl(issuer: string): string {
  const url = new URL(issuer);
  return `${url.origin}/.well-known/oauth-authorization-server${url.pathname === '/' ? '' : url.pathname}`;
}
export const NAMESPACE = 'bench';
/** The shared-secret client every token bench measures. */
export const CLIENT = 'bench-client';
export const SCOPE = 'bench:read';
export const LIFETIME_SECONDS = 300;
export const audienceOf = (alg: BenchAlgorithm) => `https://bench-${alg.toLowerCase()}.local`;

/** One ResourceServer per algorithm, `bench-rs256` and `bench-es256`, with {@link SCOPE} and 5 minute tokens. */
export function resourceServerManifests(): string[] {
  return ALGORITHMS.map(
    (alg) => `apiVersion: latchkey.dev/v1alpha1
kind: ResourceServer
metadata: { name: bench-${alg.toLowerCase()}, namespace: ${NAMESPACE} }
spec:
  identifier: ${audienceOf(alg)}
  scopes: [{ name: '${SCOPE}' }]
  accessToken: { lifetime: ${LIFETIME_SECONDS / 60}m, signingAlgorithm: ${alg} }
`,
  );
}

export interface ClientSpec {
  /** Granted {@link SCOPE} on the ResourceServer of each. */
  algs: readonly BenchAlgorithm[];
  auth: 'client_secret_basic' | 'private_key_jwt';
  /** Set `clientId` to the name, so the bench knows it without reading a generated Secret. */
  namedId?: boolean;
  /** More `spec` fields, as YAML lines indented by two. */
  lines?: string[];
}

/** A client_credentials OAuthClient; a `client_secret_basic` one gets a generated Secret. */
export function oauthClientManifest(name: string, spec: ClientSpec): string {
  const grants = spec.algs.map(
    (alg) => `    - { resourceServer: { name: bench-${alg.toLowerCase()} }, scopes: ['${SCOPE}'] }`,
  );
  return [
    'apiVersion: latchkey.dev/v1alpha1',
    'kind: OAuthClient',
    `metadata: { name: ${name}, namespace: ${NAMESPACE} }`,
    'spec:',
    ...(spec.namedId === true ? [`  clientId: ${name}`] : []),
    '  appType: non_interactive',
    '  grantTypes: [client_credentials]',
    `  tokenEndpointAuthMethod: ${spec.auth}`,
    ...(spec.lines ?? []),
    '  grants:',
    ...grants,
    ...(spec.auth === 'client_secret_basic' ? ['  secret: { source: Generate }'] : []),
    '',
  ].join('\n');
}

/** The options of `latchkey dev` for a bench's folder. */
export function devArgs(root: string): string[] {
  return [
    '--manifests',
    join(root, 'manifests'),
    '--state-dir',
    join(root, 'state'),
    '--port',
    '0',
    '--ops-port',
    '0',
    '--no-watch',
  ];
}

export interface DevServer {
  child: Child;
  issuer: string;
  /** The endpoints, at the address it listens on (not the issuer's when started with another's `--issuer`). */
  tokenEndpoint: string;
  introspectionEndpoint: string;
  jwksUri: string;
  /** From starting the process to its ready line. */
  readySeconds: number;
}

export interface DevStart {
  /** The process's name in messages. */
  name: string;
  /** The manifests, written to `<root>/manifests/<file>`. */
  manifests: string;
  file: string;
  maxSeconds: number;
  readyTimeoutMs: number;
  /** Options for `node` itself, before the script (`--cpu-prof`, …). */
  nodeArgs?: readonly string[];
  /** More options for `latchkey dev`, after {@link devArgs} (`--check-connections`, `--issuer`, …). */
  options?: readonly string[];
  /** Run the JavaScript that {@link compileForBench} wrote, as the image does, instead of the sources. */
  compiled?: boolean;
}

/** The `node` options the container image starts Latchkey with (Dockerfile ENTRYPOINT): measured as it runs. */
export const IMAGE_NODE_FLAGS: readonly string[] = [
  '--max-semi-space-size=8',
  '--no-concurrent-recompilation',
];

/** Writes the manifests under `root` and starts `latchkey dev` on them; resolves once it serves. */
export async function startLatchkeyDev(root: string, start: DevStart): Promise<DevServer> {
  const manifestsDir = join(root, 'manifests');
  await mkdir(manifestsDir, { recursive: true });
  await writeFile(join(manifestsDir, start.file), start.manifests);
  const started = performance.now();
  const child = startChild(start.name, {
    maxSeconds: start.maxSeconds,
    ...(start.compiled === true ? { guard: compiledUrl('bench/lib/child-guard.ts') } : {}),
    args: [
      ...IMAGE_NODE_FLAGS,
      ...(start.nodeArgs ?? []),
      start.compiled === true ? compiledPath('src/cli/main.ts') : 'src/cli/main.ts',
      'dev',
      ...devArgs(root),
      ...(start.options ?? []),
    ],
  });
  const ready = await waitForLine(child, 'Latchkey dev is ready', start.readyTimeoutMs);
  const readySeconds = (performance.now() - started) / 1000;
  const issuer = /issuer (\S+)/.exec(ready)?.[1];
  if (issuer === undefined) throw new Error(`no issuer in the ready line: ${ready}`);
  // Said only when `--issuer` names another address than the one it listens on.
  const origin = /\(listening on (\S+)\)/.exec(ready)?.[1] ?? issuer;
  const metadata = (await (await fetch(metadataUrl(origin))).json()) as {
    token_endpoint: string;
    introspection_endpoint: string;
    jwks_uri: string;
  };
  const here = (url: string) => (origin === issuer ? url : `${origin}${new URL(url).pathname}`);
  return {
    child,
    issuer,
    tokenEndpoint: here(metadata.token_endpoint),
    introspectionEndpoint: here(metadata.introspection_endpoint),
    jwksUri: here(metadata.jwks_uri),
    readySeconds,
  };
}

/** Reads `data` of a Secret manifest that dev mode wrote, base64-decoded. */
export async function secretData(path: string): Promise<Record<string, string>> {
  const doc = parse(await readFile(path, 'utf8')) as { data?: Record<string, string> } | null;
  if (doc?.data === undefined) throw new Error(`${path} is not a Secret manifest with data`);
  return Object.fromEntries(
    Object.entries(doc.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
  );
}

/** The id and secret dev mode generated for a `client_secret_basic` client in {@link NAMESPACE}. */
export async function generatedCredentials(
  root: string,
  client: string,
): Promise<{ clientId: string; clientSecret: string }> {
  const secret = await secretData(join(root, 'state', 'secrets', NAMESPACE, `${client}-oauth.yaml`));
  if (secret.client_id === undefined || secret.client_secret === undefined) {
    throw new Error('the generated Secret has no client_id or client_secret');
  }
  return { clientId: secret.client_id, clientSecret: secret.client_secret };
}
