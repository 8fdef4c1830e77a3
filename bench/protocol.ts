/**
 * What the bench and the processes it starts tell each other. A child gets its config as JSON in the
 * environment variable {@link CONFIG_ENV} (never on the command line, where `ps` would show the secret) and
 * answers with one line on stdout.
 */

import type { JWK } from 'jose';

export const CONFIG_ENV = 'LATCHKEY_BENCH_CONFIG';

export type BenchAlgorithm = 'RS256' | 'ES256';

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
  clientId: string;
  /** SHA-256 of the client secret, base64. */
  secretDigest: string;
  apis: FloorApi[];
}

/** The first stdout line of the floor server. */
export const FLOOR_READY = 'floor is ready: ';

export interface LoadConfig {
  tokenEndpoint: string;
  audience: string;
  clientId: string;
  clientSecret: string;
  connections: number;
  warmupSeconds: number;
  measureSeconds: number;
  /** Where the sample token's signature is verified: Latchkey's JWKS, for both servers. */
  jwksUri: string;
  issuer: string;
  alg: BenchAlgorithm;
  scope: string;
  lifetimeSeconds: number;
}

export interface LoadResult {
  /** 2xx responses that carried an access token, completed in the measured window. */
  ok: number;
  /** Tokens issued over warm-up and measurement: what the server's CPU time is divided by. */
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
  /** Latencies in milliseconds of the measured requests: a Float64Array, base64. */
  latencies: string;
  /** The sample token, verified against the JWKS; `error` says why it is not valid. */
  sample: { valid: true; headerKeys: string[]; payloadKeys: string[] } | { valid: false; error: string };
}

/** Reads a child's config from {@link CONFIG_ENV}; the bench is the only caller. */
export function readConfig<T>(): T {
  const text = process.env[CONFIG_ENV];
  if (text === undefined) throw new Error(`${CONFIG_ENV} is not set: this process is started by the bench`);
  return JSON.parse(text) as T;
}
