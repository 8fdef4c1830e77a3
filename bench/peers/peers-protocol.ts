/** What peers-bench.ts and the processes it starts for the peers tell each other (see protocol.ts). */

import type { BenchAlgorithm } from '../lib/protocol.ts';

export interface OidcProviderConfig {
  /** The bench's client, then the idle ones: all `client_secret_basic`, client_credentials only. */
  clients: { clientId: string; clientSecret: string }[];
  /** Resource indicators (RFC 8707) and the algorithm their access tokens are signed with. */
  resources: { identifier: string; alg: BenchAlgorithm }[];
  scope: string;
  lifetimeSeconds: number;
  /**
   * The people cases' web client (authorization code with PKCE, rotating refresh tokens, client_secret_basic):
   * dev interactions sign anyone in and ask for consent, which `offline_access` needs at every request.
   */
  people?: { clientId: string; clientSecret: string; redirectUri: string };
}

/** The line node-oidc-provider's process prints once it listens: this prefix, then its issuer. */
export const OIDC_PROVIDER_READY = 'oidc-provider is ready: ';

export interface KeycloakConfig {
  /** The unpacked server distribution. */
  home: string;
  /** JAVA_HOME of a JDK Keycloak supports. */
  javaHome: string;
  port: number;
  /** The bootstrap admin: a service account client of the master realm. */
  adminClientId: string;
  adminClientSecret: string;
  /** Most seconds Keycloak may live, even if the process watching it is killed. */
  maxSeconds: number;
}

/** The line keycloak-process.ts prints once Keycloak listens: this prefix, then its base URL. */
export const KEYCLOAK_READY = 'keycloak is ready: ';

/** Latchkey with its runtime state on PostgreSQL (latchkey-postgres-server.ts): dev mode's folders, another state. */
export interface LatchkeyPostgresConfig {
  manifestsDir: string;
  stateDir: string;
  /** libpq-style URL of the bench's own PostgreSQL on 127.0.0.1. */
  url: string;
}

/** The line latchkey-postgres-server.ts prints once it serves: this prefix, then its issuer. */
export const LATCHKEY_POSTGRES_READY = 'latchkey on postgres is ready: ';
