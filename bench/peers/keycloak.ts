/**
 * Keycloak for `npm run bench:peers`: its server distribution from Maven Central, cached and unpacked in the
 * peers cache; a JDK it supports from this machine; one realm and one confidential client set up through its
 * admin REST API, and the idle clients through a partial import.
 */

import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BenchAlgorithm } from '../lib/protocol.ts';

const run = promisify(execFile);

export const KEYCLOAK_VERSION = '26.7.3';
/** Keycloak 26.x runs on Java 21 and later. */
const MIN_JAVA = 21;
const ARTIFACT = `org.keycloak:keycloak-quarkus-dist:${KEYCLOAK_VERSION}:zip`;
const DIST = `keycloak-quarkus-dist-${KEYCLOAK_VERSION}.zip`;
const CENTRAL = 'https://repo.maven.apache.org/maven2';
export const REALM = 'bench';
/** Idle clients per partial import. */
const IMPORT_BATCH = 500;

async function sha1(path: string): Promise<string> {
  const hash = createHash('sha1');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Fetches the distribution from Maven Central (or the repository in `MAVEN_REPOSITORY`) and checks it against
 * the repository's SHA-1; if that fails, asks Maven, which follows the mirrors of ~/.m2/settings.xml.
 */
async function download(downloads: string, log: (line: string) => void): Promise<string> {
  const zip = join(downloads, DIST);
  await mkdir(downloads, { recursive: true });
  const repository = (process.env.MAVEN_REPOSITORY ?? CENTRAL).replace(/\/$/, '');
  const url = `${repository}/org/keycloak/keycloak-quarkus-dist/${KEYCLOAK_VERSION}/${DIST}`;
  const failures: string[] = [];
  try {
    log(`downloading ${url}`);
    const expected = (await (await fetchOk(`${url}.sha1`)).text()).trim().slice(0, 40);
    const body = Buffer.from(await (await fetchOk(url)).arrayBuffer());
    const actual = createHash('sha1').update(body).digest('hex');
    if (actual !== expected) throw new Error(`SHA-1 is ${actual}, the repository says ${expected}`);
    await writeFile(`${zip}.part`, body);
    await rename(`${zip}.part`, zip);
    return zip;
  } catch (err) {
    failures.push(`HTTPS GET: ${(err as Error).message}`);
  }
  try {
    log(`asking Maven for ${ARTIFACT}`);
    await run(
      'mvn',
      ['-q', '-B', 'dependency:copy', `-Dartifact=${ARTIFACT}`, `-DoutputDirectory=${downloads}`],
      {
        maxBuffer: 16 * 2 ** 20,
      },
    );
    if (existsSync(zip)) return zip;
    failures.push(`mvn dependency:copy wrote no ${DIST}`);
  } catch (err) {
    failures.push(`mvn dependency:copy: ${(err as Error).message.split('\n')[0]}`);
  }
  throw new Error(`could not get ${ARTIFACT}: ${failures.join('; ')}`);
}

async function fetchOk(url: string): Promise<Response> {
  const res = await fetch(url, { signal: AbortSignal.timeout(600_000) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res;
}

/** The unpacked distribution in `cache`, downloading and unpacking it the first time. */
export async function installKeycloak(cache: string, log: (line: string) => void): Promise<string> {
  const home = join(cache, `keycloak-${KEYCLOAK_VERSION}`);
  if (existsSync(join(home, 'bin', 'kc.sh'))) return home;
  const downloads = join(cache, 'downloads');
  let zip = join(downloads, DIST);
  const sidecar = `${zip}.sha1`;
  // A download checked once is trusted by its recorded digest; an interrupted or altered one is fetched again.
  const recorded = existsSync(sidecar) ? (await readFile(sidecar, 'utf8')).trim() : undefined;
  if (!existsSync(zip) || recorded === undefined || (await sha1(zip)) !== recorded) {
    zip = await download(downloads, log);
    await writeFile(sidecar, await sha1(zip));
  }
  const unpacking = join(cache, `.unpacking-${process.pid}`);
  await rm(unpacking, { recursive: true, force: true });
  await mkdir(unpacking, { recursive: true });
  log(`unpacking ${DIST}`);
  await run('unzip', ['-q', zip, '-d', unpacking]);
  await rename(join(unpacking, `keycloak-${KEYCLOAK_VERSION}`), home);
  await rm(unpacking, { recursive: true, force: true });
  return home;
}

/** `java -version`'s feature release ("17.0.15" → 17, "1.8.0" → 8). */
export function javaMajor(versionOutput: string): number | undefined {
  const m = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (m?.[1] === undefined) return undefined;
  const first = Number(m[1]);
  return first === 1 && m[2] !== undefined ? Number(m[2]) : first;
}

/** A JAVA_HOME with Java 21 or later: `KEYCLOAK_JAVA_HOME`, `JAVA_HOME`, then the JDKs in /usr/lib/jvm. */
export async function findJavaHome(): Promise<string> {
  const candidates = [process.env.KEYCLOAK_JAVA_HOME, process.env.JAVA_HOME].filter(
    (h): h is string => h !== undefined && h !== '',
  );
  try {
    candidates.push(...readdirSync('/usr/lib/jvm').map((d) => join('/usr/lib/jvm', d)));
  } catch {
    // No system JDKs.
  }
  const seen: string[] = [];
  for (const home of candidates) {
    try {
      const { stderr } = await run(join(home, 'bin', 'java'), ['-version']);
      const major = javaMajor(stderr);
      seen.push(`${home}: ${major ?? '?'}`);
      if (major !== undefined && major >= MIN_JAVA) return home;
    } catch {
      // Not a JDK.
    }
  }
  throw new Error(
    `Keycloak ${KEYCLOAK_VERSION} needs Java ${MIN_JAVA} or later; found ${seen.join(', ') || 'no JDK'} ` +
      '(set KEYCLOAK_JAVA_HOME)',
  );
}

/** A port of 127.0.0.1 that nothing listens on now: Keycloak takes its port from the command line. */
export function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

export interface IdleClient {
  clientId: string;
  clientSecret: string;
}

/** The bench's confidential client: client_credentials only (service account), client_secret_basic. */
function clientRepresentation(clientId: string, secret: string) {
  return {
    clientId,
    secret,
    enabled: true,
    protocol: 'openid-connect',
    publicClient: false,
    clientAuthenticatorType: 'client-secret',
    serviceAccountsEnabled: true,
    standardFlowEnabled: false,
    implicitFlowEnabled: false,
    directAccessGrantsEnabled: false,
  };
}

const audienceMapper = (audience: string) => ({
  name: 'audience',
  protocol: 'openid-connect',
  protocolMapper: 'oidc-audience-mapper',
  config: {
    'included.custom.audience': audience,
    'access.token.claim': 'true',
    'id.token.claim': 'false',
    'introspection.token.claim': 'true',
  },
});

/** The admin REST API with the bootstrap service account's token, renewed before it expires. */
export class KeycloakAdmin {
  readonly #base: string;
  readonly #clientId: string;
  readonly #secret: string;
  #token: { value: string; until: number } | undefined;

  constructor(base: string, clientId: string, secret: string) {
    this.#base = base;
    this.#clientId = clientId;
    this.#secret = secret;
  }

  async #bearer(): Promise<string> {
    if (this.#token !== undefined && performance.now() < this.#token.until) return this.#token.value;
    const res = await fetch(`${this.#base}/realms/master/protocol/openid-connect/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: this.#clientId,
        client_secret: this.#secret,
      }),
    });
    if (!res.ok) throw new Error(`admin token: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
    const body = (await res.json()) as { access_token: string; expires_in: number };
    this.#token = { value: body.access_token, until: performance.now() + (body.expires_in - 15) * 1000 };
    return body.access_token;
  }

  /** Gets a new admin token when the one held is about to expire, so a timed request does not. */
  async renewToken(): Promise<void> {
    await this.#bearer();
  }

  async request<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.#base}/admin/realms${path}`, {
      method,
      headers: {
        authorization: `Bearer ${await this.#bearer()}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} /admin/realms${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }
}

export interface KeycloakRealm {
  issuer: string;
  tokenEndpoint: string;
  jwksUri: string;
  /** Makes the bench client's tokens use `alg` for the API `audience`. */
  setAlgorithm(alg: BenchAlgorithm, audience: string): Promise<void>;
}

/**
 * The realm: 5 minute access tokens, a P-256 key beside the default RSA one, the scope as a client scope
 * that is in the token's `scope`, the bench client with an audience mapper, and the idle clients.
 */
export async function setUpRealm(
  admin: KeycloakAdmin,
  base: string,
  options: {
    client: IdleClient;
    scope: string;
    lifetimeSeconds: number;
    alg: BenchAlgorithm;
    audience: string;
    idle: readonly IdleClient[];
  },
): Promise<KeycloakRealm> {
  await admin.request('POST', '', {
    realm: REALM,
    enabled: true,
    accessTokenLifespan: options.lifetimeSeconds,
  });
  const realm = await admin.request<{ id: string }>('GET', `/${REALM}`);
  await admin.request('POST', `/${REALM}/components`, {
    name: 'ecdsa-p256',
    providerId: 'ecdsa-generated',
    providerType: 'org.keycloak.keys.KeyProvider',
    parentId: realm.id,
    config: { priority: ['100'], ecdsaEllipticCurveKey: ['P-256'], active: ['true'], enabled: ['true'] },
  });
  await admin.request('POST', `/${REALM}/client-scopes`, {
    name: options.scope,
    protocol: 'openid-connect',
    attributes: { 'include.in.token.scope': 'true', 'display.on.consent.screen': 'false' },
  });
  await admin.request('POST', `/${REALM}/clients`, {
    ...clientRepresentation(options.client.clientId, options.client.clientSecret),
    attributes: {
      'access.token.signed.response.alg': options.alg,
      'access.token.lifespan': String(options.lifetimeSeconds),
    },
    // `basic` gives `sub`; nothing else, so the token carries what the other servers' tokens carry.
    defaultClientScopes: ['basic', options.scope],
    optionalClientScopes: [],
    protocolMappers: [audienceMapper(options.audience)],
  });
  const [client] = await admin.request<{ id: string; protocolMappers?: { id: string; name: string }[] }[]>(
    'GET',
    `/${REALM}/clients?clientId=${encodeURIComponent(options.client.clientId)}`,
  );
  const mapper = client?.protocolMappers?.find((m) => m.name === 'audience');
  if (client === undefined || mapper === undefined) throw new Error('the bench client was not created');

  // In parts: one import of 10,000 clients outlasts an HTTP client's patience on a small machine.
  for (let from = 0; from < options.idle.length; from += IMPORT_BATCH) {
    const batch = options.idle.slice(from, from + IMPORT_BATCH);
    const result = await admin.request<{ added: number }>('POST', `/${REALM}/partialImport`, {
      ifResourceExists: 'FAIL',
      clients: batch.map((c) => ({
        ...clientRepresentation(c.clientId, c.clientSecret),
        defaultClientScopes: ['basic', options.scope],
      })),
    });
    if (result.added !== batch.length) {
      throw new Error(`partial import added ${result.added} of ${batch.length} clients`);
    }
  }

  const issuer = `${base}/realms/${REALM}`;
  let current = { alg: options.alg, audience: options.audience };
  return {
    issuer,
    tokenEndpoint: `${issuer}/protocol/openid-connect/token`,
    jwksUri: `${issuer}/protocol/openid-connect/certs`,
    async setAlgorithm(alg, audience) {
      if (alg === current.alg && audience === current.audience) return;
      await admin.request('PUT', `/${REALM}/clients/${client.id}`, {
        attributes: { 'access.token.signed.response.alg': alg },
      });
      await admin.request('PUT', `/${REALM}/clients/${client.id}/protocol-mappers/models/${mapper.id}`, {
        id: mapper.id,
        ...audienceMapper(audience),
      });
      current = { alg, audience };
    },
  };
}

export const randomSecret = () => randomBytes(32).toString('base64url');
