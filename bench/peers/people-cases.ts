/**
 * The people cases of `npm run bench:peers` (issue 12, "Speed"): a person's tokens at the token endpoint of
 * each server, the browser steps done before the clock starts.
 * - `authorization_code`: exchanges of fresh codes with their PKCE verifiers, from a pool minted right before
 *   the run by the test person's browser (people-browser.ts).
 * - `refresh_token`: one rotating family per connection, each refreshed with its newest token.
 * The same for all three servers: the web client authenticates with `client_secret_basic`, the authorization
 * request asks for `openid offline_access bench:read` with `resource` naming the RS256 API, and the answers
 * carry an RS256 access token for that API, an RS256 ID token and a refresh token.
 */

import { randomBytes } from 'node:crypto';
import { audienceOf, LIFETIME_SECONDS, NAMESPACE, SCOPE } from '../lib/latchkey-dev.ts';
import type { KindLoadConfig } from '../lib/protocol.ts';

export type PeopleGrant = 'authorization_code' | 'refresh_token';

export const PEOPLE_GRANTS: readonly PeopleGrant[] = ['authorization_code', 'refresh_token'];

/** The web client's name (and, at the peers, its client id). */
export const PEOPLE_CLIENT = 'bench-web';
/** Never fetched: the browser stops at the redirect and reads the code from it. */
export const REDIRECT_URI = 'http://localhost:3000/callback';
/** The person every server signs in; the password is this run's. */
export const PERSON = { username: 'alice', password: randomBytes(18).toString('base64url') };
export const PEOPLE_ALG = 'RS256';
export const PEOPLE_SCOPES = `openid offline_access ${SCOPE}`;

/** What a server offers the people cases. */
export interface PeopleServer {
  authorizationEndpoint: string;
  clientId: string;
  clientSecret: string;
  /** `prompt` of every authorization request: node-oidc-provider needs `consent` to grant `offline_access`. */
  prompt?: string;
  /** The access token's `typ` where it is not RFC 9068's `at+jwt` (Keycloak: `JWT`). */
  typ?: string;
}

/** Latchkey's side: a `test` Connection with the person, and the web client offering it (first-party: no consent). */
export function latchkeyPeopleManifests(): string[] {
  return [
    `apiVersion: latchkey.dev/v1alpha1
kind: Connection
metadata: { name: bench-people, namespace: ${NAMESPACE} }
spec:
  type: test
  displayName: Bench people
  testUsers:
    - { username: ${PERSON.username}, password: '${PERSON.password}', email: ${PERSON.username}@example.com, name: Bench Person }
`,
    `apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: { name: ${PEOPLE_CLIENT}, namespace: ${NAMESPACE} }
spec:
  appType: web
  grantTypes: [authorization_code, refresh_token]
  tokenEndpointAuthMethod: client_secret_basic
  redirectUris: ['${REDIRECT_URI}']
  connections: [{ name: bench-people }]
  firstParty: true
  grants:
    - { resourceServer: { name: bench-${PEOPLE_ALG.toLowerCase()} }, scopes: ['${SCOPE}'] }
  secret: { source: Generate }
`,
  ];
}

export interface PeopleRun {
  tokenEndpoint: string;
  issuer: string;
  jwksUri: string;
  people: PeopleServer;
  connections: number;
  warmupSeconds: number;
  measureSeconds: number;
  /** Codes to mint for `authorization_code`. */
  poolSize: number;
  /** The server's processes (its tree, and PostgreSQL's). */
  serverPids: number[];
}

/** Authorization requests in flight while minting: a few browser tabs' worth, enough to keep a server busy. */
const MINT_IN_FLIGHT = 8;
/** The codes live 60 s at all three servers; minting stops after this, so the first is alive at the run's end. */
const MINT_SECONDS = 30;

/** The load generator's config for one people run. */
export function peopleLoadConfig(grant: PeopleGrant, run: PeopleRun): KindLoadConfig {
  return {
    endpoint: run.tokenEndpoint,
    audience: audienceOf(PEOPLE_ALG),
    clientId: run.people.clientId,
    connections: run.connections,
    warmupSeconds: run.warmupSeconds,
    measureSeconds: run.measureSeconds,
    jwksUri: run.jwksUri,
    issuer: run.issuer,
    alg: PEOPLE_ALG,
    scope: SCOPE,
    lifetimeSeconds: LIFETIME_SECONDS,
    subjectIsClient: false,
    ...(run.people.typ === undefined ? {} : { typ: run.people.typ }),
    request: {
      kind: grant,
      clientSecret: run.people.clientSecret,
      authorize: {
        endpoint: run.people.authorizationEndpoint,
        clientId: run.people.clientId,
        redirectUri: REDIRECT_URI,
        scope: PEOPLE_SCOPES,
        resource: audienceOf(PEOPLE_ALG),
        ...(run.people.prompt === undefined ? {} : { prompt: run.people.prompt }),
        username: PERSON.username,
        password: PERSON.password,
      },
      poolSize: run.poolSize,
      mintInFlight: MINT_IN_FLIGHT,
      mintSeconds: MINT_SECONDS,
      serverPids: run.serverPids,
    },
  };
}

/**
 * The next run's pool of codes: enough for the warm-up and the window at the rate this server last exchanged
 * them, a fifth more, within bounds (a pool that runs out ends the window early; that is measured, not lost).
 */
export function nextPoolSize(
  lastRate: number | undefined,
  seconds: number,
  bounds = { min: 500, max: 8000 },
): number {
  if (lastRate === undefined || !Number.isFinite(lastRate)) return 1500;
  return Math.round(Math.min(bounds.max, Math.max(bounds.min, lastRate * seconds * 1.2)));
}
