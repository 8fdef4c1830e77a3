/**
 * The servers `npm run bench:peers` measures, started and set up alike: Latchkey (`latchkey dev`, or the same
 * folders with its runtime state on PostgreSQL), node-oidc-provider and Keycloak, each with the bench's
 * client_credentials client and idle clients and, for the people cases, a web client and a person.
 */

import { existsSync, rmSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { REPO_ROOT, startChild, waitForLine, type Child } from '../lib/children.ts';
import { compiledPath, compiledUrl } from '../lib/compiled.ts';
import {
  ALGORITHMS,
  audienceOf,
  CLIENT,
  generatedCredentials,
  LIFETIME_SECONDS,
  metadataUrl,
  oauthClientManifest,
  resourceServerManifests,
  SCOPE,
  startLatchkeyDev,
} from '../lib/latchkey-dev.ts';
import { findInTree } from '../lib/proc-tree.ts';
import type { BenchAlgorithm, LoadConfig } from '../lib/protocol.ts';
import {
  KEYCLOAK_VERSION,
  KeycloakAdmin,
  findJavaHome,
  freePort,
  installKeycloak,
  randomSecret,
  REALM,
  setUpRealm,
} from './keycloak.ts';
import { setUpPeople } from './keycloak-people.ts';
import {
  latchkeyPeopleManifests,
  PEOPLE_CLIENT,
  PERSON,
  REDIRECT_URI,
  type PeopleServer,
} from './people-cases.ts';
import type { PeerName } from './peers-report.ts';
import {
  KEYCLOAK_READY,
  OIDC_PROVIDER_READY,
  type KeycloakConfig,
  type OidcProviderConfig,
} from './peers-protocol.ts';
import { startLatchkeyPostgres } from './latchkey-postgres.ts';

export type LatchkeyState = 'embedded' | 'postgres';

/** What starting a server depends on. */
export interface ServerOptions {
  idleClients: number;
  latchkeyState: LatchkeyState;
}

const READY_TIMEOUT_MS = 120_000;
const KEYCLOAK_READY_TIMEOUT_MS = 300_000;

/** A server under test, started and ready for the load generator. */
export interface Server {
  peer: PeerName;
  version: string;
  readySeconds: number;
  /** The process whose tree's memory and CPU time are the server's. */
  pid(): number | undefined;
  /** More processes whose CPU time is the server's: the PostgreSQL Latchkey keeps its state in. */
  morePids?(): number[];
  issuer: string;
  tokenEndpoint: string;
  jwksUri: string;
  clientId: string;
  clientSecret: string;
  /** How the peer's tokens differ from RFC 9068 where it cannot be configured otherwise. */
  verify: Pick<LoadConfig, 'typ' | 'subjectIsClient'>;
  /** Prepares the server to issue `alg` tokens for `audience` (Keycloak signs with one algorithm per client). */
  prepare?(alg: BenchAlgorithm, audience: string): Promise<void>;
  /** The people cases' web client and where people sign in. */
  people: PeopleServer;
  /** Keycloak's admin REST API, as the bench's admin client (bench/management lists clients through it). */
  admin?: KeycloakAdmin;
}

async function packageVersion(name: string): Promise<string> {
  const json = JSON.parse(await readFile(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as {
    version: string;
  };
  return json.version;
}

function latchkeyManifests(idleClients: number): string {
  const idle = Array.from({ length: idleClients }, (_, i) =>
    oauthClientManifest(`idle-${i}`, { algs: ['RS256'], auth: 'client_secret_basic' }),
  );
  return [
    ...resourceServerManifests(),
    oauthClientManifest(CLIENT, { algs: ALGORITHMS, auth: 'client_secret_basic' }),
    ...latchkeyPeopleManifests(),
    ...idle,
  ].join('---\n');
}

async function latchkeyPeople(root: string, metadataAt: string): Promise<PeopleServer> {
  const metadata = (await (await fetch(metadataUrl(metadataAt))).json()) as {
    authorization_endpoint: string;
  };
  const web = await generatedCredentials(root, PEOPLE_CLIENT);
  return { authorizationEndpoint: metadata.authorization_endpoint, ...web };
}

async function latchkeyVersion(): Promise<string> {
  return (JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

async function startLatchkeyOnPostgres(
  root: string,
  options: ServerOptions,
  maxSeconds: number,
): Promise<Server> {
  const server = await startLatchkeyPostgres(root, latchkeyManifests(options.idleClients), {
    maxSeconds,
    readyTimeoutMs: READY_TIMEOUT_MS,
  });
  stopPostgres = server.stop;
  return {
    peer: 'latchkey',
    version: `Latchkey ${await latchkeyVersion()} on PostgreSQL, compiled`,
    readySeconds: server.readySeconds,
    pid: () => server.child.process.pid,
    morePids: () => {
      const pid = server.postgresPid();
      return pid === undefined ? [] : [pid];
    },
    issuer: server.issuer,
    tokenEndpoint: server.tokenEndpoint,
    jwksUri: server.jwksUri,
    ...(await generatedCredentials(root, CLIENT)),
    verify: {},
    people: await latchkeyPeople(root, server.issuer),
  };
}

async function startLatchkey(root: string, options: ServerOptions, maxSeconds: number): Promise<Server> {
  if (options.latchkeyState === 'postgres') return startLatchkeyOnPostgres(root, options, maxSeconds);
  const dev = await startLatchkeyDev(root, {
    name: 'Latchkey dev',
    manifests: latchkeyManifests(options.idleClients),
    file: 'bench.yaml',
    maxSeconds,
    readyTimeoutMs: READY_TIMEOUT_MS,
    compiled: true,
  });
  const credentials = await generatedCredentials(root, CLIENT);
  return {
    peer: 'latchkey',
    version: `Latchkey ${await latchkeyVersion()} dev, compiled`,
    readySeconds: dev.readySeconds,
    pid: () => dev.child.process.pid,
    issuer: dev.issuer,
    tokenEndpoint: dev.tokenEndpoint,
    jwksUri: dev.jwksUri,
    ...credentials,
    verify: {},
    people: await latchkeyPeople(root, dev.issuer),
  };
}

async function startOidcProvider(options: ServerOptions, maxSeconds: number): Promise<Server> {
  const version = await packageVersion('oidc-provider').catch(() => {
    throw new Error('oidc-provider is not installed: run npm ci (it is a devDependency)');
  });
  const client = { clientId: CLIENT, clientSecret: randomSecret() };
  const web = { clientId: PEOPLE_CLIENT, clientSecret: randomSecret() };
  const config: OidcProviderConfig = {
    clients: [
      client,
      ...Array.from({ length: options.idleClients }, (_, i) => ({
        clientId: `idle-${i}`,
        clientSecret: randomSecret(),
      })),
    ],
    resources: ALGORITHMS.map((alg) => ({ identifier: audienceOf(alg), alg })),
    scope: SCOPE,
    lifetimeSeconds: LIFETIME_SECONDS,
    people: { ...web, redirectUri: REDIRECT_URI },
  };
  const started = performance.now();
  const child = startChild('node-oidc-provider', {
    maxSeconds,
    guard: compiledUrl('bench/lib/child-guard.ts'),
    args: [compiledPath('bench/peers/oidc-provider-server.ts')],
    config,
  });
  const issuer = await waitForLine(child, OIDC_PROVIDER_READY, READY_TIMEOUT_MS);
  const readySeconds = (performance.now() - started) / 1000;
  const metadata = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as {
    token_endpoint: string;
    jwks_uri: string;
    authorization_endpoint: string;
  };
  return {
    peer: 'oidc-provider',
    version: `oidc-provider ${version}`,
    readySeconds,
    pid: () => child.process.pid,
    issuer,
    tokenEndpoint: metadata.token_endpoint,
    jwksUri: metadata.jwks_uri,
    ...client,
    verify: {},
    // OpenID Connect Core §11: node-oidc-provider grants offline_access only with prompt=consent.
    people: { authorizationEndpoint: metadata.authorization_endpoint, ...web, prompt: 'consent' },
  };
}

function peersCache(): string {
  return process.env.LATCHKEY_PEERS_CACHE ?? join(homedir(), '.cache', 'latchkey', 'peers');
}

let keycloakHome: string | undefined;

async function startKeycloak(options: ServerOptions, maxSeconds: number): Promise<Server> {
  const say = (line: string) => process.stdout.write(`  keycloak: ${line}\n`);
  const javaHome = await findJavaHome();
  const home = await installKeycloak(peersCache(), say);
  // A fresh embedded database every run: the realm, the clients and the bootstrap admin are this run's.
  await rm(join(home, 'data'), { recursive: true, force: true });
  keycloakHome = home;
  const config: KeycloakConfig = {
    home,
    javaHome,
    port: await freePort(),
    adminClientId: 'latchkey-bench-admin',
    adminClientSecret: randomSecret(),
    maxSeconds,
  };
  say(`starting ${home} (start-dev) with ${javaHome}`);
  const started = performance.now();
  const child: Child = startChild('Keycloak', {
    maxSeconds,
    args: ['bench/peers/keycloak-process.ts'],
    config,
  });
  const base = await waitForLine(child, KEYCLOAK_READY, KEYCLOAK_READY_TIMEOUT_MS);
  const readySeconds = (performance.now() - started) / 1000;
  const admin = new KeycloakAdmin(base, config.adminClientId, config.adminClientSecret);
  const client = { clientId: CLIENT, clientSecret: randomSecret() };
  const importStarted = performance.now();
  const realm = await setUpRealm(admin, base, {
    client,
    scope: SCOPE,
    lifetimeSeconds: LIFETIME_SECONDS,
    alg: 'RS256',
    audience: audienceOf('RS256'),
    idle: Array.from({ length: options.idleClients }, (_, i) => ({
      clientId: `idle-${i}`,
      clientSecret: randomSecret(),
    })),
  });
  const web = { clientId: PEOPLE_CLIENT, clientSecret: randomSecret() };
  await setUpPeople(admin, {
    realm: REALM,
    client: { ...web, redirectUri: REDIRECT_URI },
    person: PERSON,
    scope: SCOPE,
    audience: audienceOf('RS256'),
  });
  say(
    `realm, clients, a person and ${options.idleClients} idle clients set up in ` +
      `${((performance.now() - importStarted) / 1000).toFixed(1)} s`,
  );
  let java: number | undefined;
  return {
    peer: 'keycloak',
    version: `Keycloak ${KEYCLOAK_VERSION}`,
    admin,
    readySeconds,
    // The JVM, not the Node process that watches it: kc.sh execs java under `timeout`.
    pid: () => (java ??= child.process.pid === undefined ? undefined : findInTree(child.process.pid, 'java')),
    issuer: realm.issuer,
    tokenEndpoint: realm.tokenEndpoint,
    jwksUri: realm.jwksUri,
    ...client,
    // Keycloak's access tokens are `typ: JWT` and name the client's service account user in `sub`.
    verify: { typ: 'JWT', subjectIsClient: false },
    prepare: (alg, audience) => realm.setAlgorithm(alg, audience),
    people: {
      authorizationEndpoint: `${realm.issuer}/protocol/openid-connect/auth`,
      ...web,
      typ: 'JWT',
    },
  };
}

export const START: Record<
  PeerName,
  (root: string, options: ServerOptions, maxSeconds: number) => Promise<Server>
> = {
  latchkey: startLatchkey,
  'oidc-provider': (_root, options, maxSeconds) => startOidcProvider(options, maxSeconds),
  keycloak: (_root, options, maxSeconds) => startKeycloak(options, maxSeconds),
};

let stopPostgres: (() => Promise<void>) | undefined;

/** Stops the PostgreSQL of Latchkey's state, if one was started. */
export async function stopLatchkeyPostgres(): Promise<void> {
  await stopPostgres?.();
  stopPostgres = undefined;
}

/** Removes Keycloak's database of this run, which holds the bench realm and its secrets. */
export function removeKeycloakData(): void {
  if (keycloakHome !== undefined && existsSync(join(keycloakHome, 'data'))) {
    rmSync(join(keycloakHome, 'data'), { recursive: true, force: true });
  }
}
