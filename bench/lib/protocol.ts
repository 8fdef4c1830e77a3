/**
 * What the bench and the processes it starts tell each other. A child gets its config as JSON in the
 * environment variable {@link CONFIG_ENV} (never on the command line, where `ps` would show the secret) and
 * answers with one line on stdout.
 */

import type { JWK } from 'jose';
import type { AuthorizeSpec } from './people-browser.ts';

export const CONFIG_ENV = 'LATCHKEY_BENCH_CONFIG';

export type BenchAlgorithm = 'RS256' | 'ES256';

/**
 * What a round measures: a token for a shared secret (HTTP Basic), for a signed client assertion
 * (`private_key_jwt`), for a workload token of a Connection's issuer (federation), or an introspection answer.
 */
export type BenchKind = 'client_secret_basic' | 'private_key_jwt' | 'federation' | 'introspection';

/** RFC 7523 §2.2. */
export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** A `private_key_jwt` client: the floor verifies its assertions with this key, as Latchkey does from `spec.jwks`. */
export interface FloorAssertionClient {
  clientId: string;
  alg: 'ES256';
  publicJwk: JWK;
}

/** A client with a federated identity: a workload token of `issuer` whose `sub` is `subject`. */
export interface FloorFederatedClient {
  clientId: string;
  issuer: string;
  subject: string;
  alg: 'RS256';
  publicJwk: JWK;
}

/** One API the floor server issues tokens for. */
export interface FloorApi {
  audience: string;
  alg: BenchAlgorithm;
  kid: string;
  privateJwk: JWK;
  lifetimeSeconds: number;
  scope: string;
}

export interface FloorConfig {
  /** The `iss` claim: Latchkey's issuer, so the floor's tokens verify exactly as Latchkey's do. */
  issuer: string;
  tokenPath: string;
  introspectionPath: string;
  /** Accepted `aud` of assertions and workload tokens: Latchkey's issuer and token endpoint. */
  assertionAudiences: string[];
  clientId: string;
  /** SHA-256 of the client secret, base64. */
  secretDigest: string;
  apis: FloorApi[];
  assertionClient: FloorAssertionClient;
  federatedClient: FloorFederatedClient;
}

/** The first stdout line of the floor server. */
export const FLOOR_READY = 'floor is ready: ';

/** What every run of the load generator (load.ts) is told, whatever it asks for. */
interface LoadRun {
  audience: string;
  /** Who the answers are for: the `client_id` (and, unless {@link subjectIsClient} is false, `sub`) expected. */
  clientId: string;
  connections: number;
  warmupSeconds: number;
  measureSeconds: number;
  /** Where the sample token's signature is verified: Latchkey's JWKS for Latchkey and the floor. */
  jwksUri: string;
  issuer: string;
  alg: BenchAlgorithm;
  scope: string;
  lifetimeSeconds: number;
  /**
   * Close the connection after each response and open a new one for the next request, as Keycloak's sizing
   * guide measures. The latency then includes the TCP handshake.
   */
  newConnectionPerRequest?: boolean;
  /** The `typ` header the sample token must have: RFC 9068's `at+jwt` unless said otherwise. */
  typ?: string;
  /**
   * Whether the sample's `sub` must be the client id (RFC 9068 §2.2 for a token that acts for no user).
   * Keycloak puts the id of the client's service account user there instead.
   */
  subjectIsClient?: boolean;
}

/** client_credentials with the client's secret in HTTP Basic: every run but `npm run bench`'s added kinds. */
export interface LoadConfig extends LoadRun {
  tokenEndpoint: string;
  clientSecret: string;
  /** The request body's parameters instead of `grant_type=client_credentials&audience=…`. */
  form?: Record<string, string>;
}

/** How the requests of `npm run bench`'s other kinds authenticate, and what they ask for. */
export type KindRequest =
  | {
      kind: 'private_key_jwt';
      /** Signs a pool of assertions before the clock starts: one per request, each with its own `jti`. */
      signer: { privateJwk: JWK; kid: string; alg: 'ES256' };
      /** The assertions' `aud`: Latchkey's issuer, which both servers accept. */
      assertionAudience: string;
      /** At least as many as the run can send; a run that runs out is not valid. */
      poolSize: number;
      /** From the moment the pool is signed: covers signing, warm-up and measurement. */
      assertionLifetimeSeconds: number;
    }
  | {
      kind: 'federation';
      /** One workload token reused for every request, as a projected ServiceAccount token is until it rotates. */
      workloadToken: string;
    }
  | {
      kind: 'introspection';
      clientSecret: string;
      /** The access token introspected by every request. */
      token: string;
    }
  | PeopleRequest;

/**
 * A person's tokens at the token endpoint (`npm run bench:peers`): before the clock starts, the load generator
 * signs the test person in through the server's own login page (people-browser.ts) and gets codes.
 * - `authorization_code`: a pool of `poolSize` codes, each exchanged once with its PKCE verifier. Codes live
 *   a minute or so, so the pool is made right before the run; the measured window ends early when the pool
 *   runs out after the warm-up (the run is invalid when it runs out before).
 * - `refresh_token`: one code per connection, exchanged for a refresh token; each connection then refreshes
 *   its own family again and again with the newest token, since every server rotates them.
 */
export interface PeopleRequest {
  kind: 'authorization_code' | 'refresh_token';
  clientSecret: string;
  authorize: AuthorizeSpec;
  /** Codes to mint for `authorization_code`. */
  poolSize: number;
  /** Browsers minting codes at once, each signed in once and asking one code at a time. */
  mintInFlight: number;
  /** Most seconds spent minting: the first code must outlive the run (60 s at Latchkey and both peers). */
  mintSeconds: number;
  /** The processes whose CPU is the server's (its tree, and PostgreSQL's): read once the clock starts. */
  serverPids: number[];
}

export interface KindLoadConfig extends LoadRun {
  /** The token endpoint, or the introspection endpoint for `introspection`. */
  endpoint: string;
  request: KindRequest;
}

export interface LoadResult {
  /** 2xx responses that carried an access token, completed in the measured window. */
  ok: number;
  /**
   * Tokens issued (or introspection answers) over warm-up and measurement: what the server's CPU time is
   * divided by.
   */
  issued: number;
  /** CPU seconds the load generator itself used over warm-up and measurement. */
  cpuSeconds: number;
  /** Wall-clock seconds of warm-up and measurement. */
  elapsedSeconds: number;
  /** Non-2xx responses, 2xx without a token and transport errors, over warm-up and measurement. */
  failed: number;
  /** Status and start of the body of the first failure. */
  firstFailure?: string;
  seconds: number;
  requestsPerSecond: number;
  /**
   * The server's CPU seconds over warm-up and measurement, read by the load generator itself when the run had
   * work before the clock (signing a person in, minting codes) that must not count.
   */
  serverCpuSeconds?: number;
  /** Latencies in milliseconds of the measured requests: a Float64Array, base64. */
  latencies: string;
  /**
   * The sample token, verified against the JWKS (for introspection: the sample answer, checked against the
   * token's claims, its member names as `payloadKeys`); `error` says why it is not valid.
   */
  sample: { valid: true; headerKeys: string[]; payloadKeys: string[] } | { valid: false; error: string };
}

/** Reads a child's config from {@link CONFIG_ENV}; the bench is the only caller. */
export function readConfig<T>(): T {
  const text = process.env[CONFIG_ENV];
  if (text === undefined) throw new Error(`${CONFIG_ENV} is not set: this process is started by the bench`);
  return JSON.parse(text) as T;
}
