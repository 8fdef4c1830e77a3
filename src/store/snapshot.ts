import type { KeyObject } from 'node:crypto';
import type { AuthMethod, GrantType } from '../api/oauth-client.ts';
import type { SigningAlgorithm } from '../api/resource-server.ts';
import type { SigningKeys } from '../keys/signing-keys.ts';
import type { ClientKey } from './client-keys.ts';
import type { Reach } from '../management/reach.ts';

export interface CompiledApi {
  namespace: string;
  name: string;
  /** The `aud` of its tokens. */
  identifier: string;
  /** Declared scopes, in declaration order. */
  scopes: readonly string[];
  lifetimeSeconds: number;
  algorithm: SigningAlgorithm;
  /**
   * Client ids that may introspect any token for this API (its `spec.introspection.clients` that resolved),
   * besides each client introspecting its own tokens.
   */
  introspectors: ReadonlySet<string>;
  /** `spec.displayName`, when declared: how the consent page names the API. */
  displayName?: string;
  /** `spec.scopes[].description` by scope name, for the scopes that declare one: the consent page's words. */
  scopeDescriptions?: ReadonlyMap<string, string>;
  /** `spec.people`: what people's access tokens for this API carry. */
  people: ApiPeopleSettings;
  /** The built-in management API (src/store/compile/management-api.ts), which only Latchkey verifies. */
  builtIn?: true;
}

/** A ResourceServer's `spec.people`, compiled. */
export interface ApiPeopleSettings {
  /** The `permissions` claim: the scopes the person's Roles give them on this API. */
  permissionsClaim: boolean;
  /** The `groups` claim: the person's groups from their sign-in. */
  groupsClaim: boolean;
  /** A person gets only scopes their Roles give them here (Auth0's RBAC enforcement). */
  enforceRoles: boolean;
}

/**
 * A rule naming people (src/api/person-rule.ts), compiled: everyone signing in through a Connection (a key of
 * {@link Snapshot.connections}), narrowed to a group or a verified email domain; or one user id.
 */
export type PersonRule = { connection: string; group?: string; emailDomain?: string } | { userId: string };

/** People named by rules, and the scopes they get by API identifier (a Role's subjects, an Organization's members). */
export interface PeopleGrant {
  rules: readonly PersonRule[];
  /** Scopes by API identifier. */
  permissions: ReadonlyMap<string, ReadonlySet<string>>;
  /** Where it comes from, for traces: `Role payments/payments-writer`, `Organization platform/acme`. */
  source: string;
}

/** What a client may get for one API: the union of its direct grants and roles. */
export interface Grant {
  api: CompiledApi;
  /** Granted scopes, in the API's declaration order. */
  scopes: readonly string[];
  scopeSet: ReadonlySet<string>;
}

export interface CompiledOrganization {
  /** The `org_id` claim. */
  id: string;
  /** The `org_name` claim: the Organization's metadata.name. */
  name: string;
  namespace: string;
  displayName?: string;
  /**
   * The Connections people sign in to it through (`spec.connections` that resolved), as keys of
   * {@link Snapshot.connections}.
   */
  connections: readonly string[];
  /**
   * Its `spec.members` rules that resolved, each with the permissions of its roles: a person matching any is a
   * member and has the permissions of every rule they match.
   */
  members: readonly PeopleGrant[];
}

/** A client's standing in one organization: its permissions there (own ∪ the organization's extra roles). */
export interface ClientOrganization {
  organization: CompiledOrganization;
  permissions: ReadonlyMap<string, Grant>;
}

export interface CompiledClient {
  clientId: string;
  namespace: string;
  name: string;
  grantTypes: ReadonlySet<GrantType>;
  authMethod: AuthMethod;
  /**
   * SHA-256 digests of the secrets that authenticate this client (several while one rotates); only for
   * `client_secret_basic` and `client_secret_post`, empty otherwise.
   */
  secretDigests: readonly Buffer[];
  /**
   * The digest of the secret the last rotation replaced, for `client_secret_basic` and `client_secret_post`:
   * accepted besides `secretDigests` until its time, which the token endpoint compares with its clock.
   */
  previousSecretDigest?: Expiring<Buffer>;
  /** How this client's assertions are verified, for `private_key_jwt` and `client_secret_jwt` only. */
  assertionKeys?: AssertionKeys;
  /**
   * How far ahead of the request the `exp` of this client's own assertions may be, in seconds
   * (`spec.clientAssertion.maxLifetime`); absent means the default, 300. Federated tokens are not bound by it.
   */
  assertionMaxLifetimeSeconds?: number;
  /**
   * Workload identities that authenticate as this client (`spec.federatedIdentities` whose Connection
   * resolved): a token from the Connection's issuer with exactly this `sub`. Empty for most clients.
   */
  federatedIdentities: readonly FederatedIdentity[];
  organizationUsage: 'deny' | 'allow' | 'require';
  /** Effective permissions by API identifier. */
  permissions: ReadonlyMap<string, Grant>;
  /** Organizations listing this client, by `org_id`. */
  organizations: ReadonlyMap<string, ClientOrganization>;
  /**
   * How people sign in through this client (issue 12): present when its grant types include
   * `authorization_code`, absent for machine clients.
   */
  people?: CompiledPeopleClient;
  /**
   * The namespaces each of its management API scopes reaches (src/store/compile/management-reach.ts); absent
   * when it has none.
   */
  managementReach?: ReadonlyMap<string, Reach>;
}

/** An OAuthClient's people sign-in settings, compiled (spec fields in src/api/oauth-client.ts). */
export interface CompiledPeopleClient {
  appType: 'native' | 'web' | 'spa';
  /** Shown on the login and consent pages; `metadata.name` when the spec has none. */
  displayName: string;
  /** `spec.logoUri`, when declared: an https URL the login and consent pages show beside the name. */
  logoUri?: string;
  /** Matched exactly (RFC 6749 §3.1.2); for `native`, a loopback URI matches on any port (RFC 8252 §7.3). */
  redirectUris: readonly string[];
  /** `post_logout_redirect_uri` values accepted by RP-initiated logout, matched exactly. */
  postLogoutRedirectUris: readonly string[];
  /** Origins (`https://app.example.com`) whose browsers may call the token endpoint (CORS, for `spa`). */
  allowedOrigins: readonly string[];
  /**
   * The Connections it offers on the login page, as keys (`namespace/name`) of {@link Snapshot.connections},
   * in declared order; only those that resolved and can sign people in.
   */
  connections: readonly string[];
  /** First-party clients skip the consent page; third-party clients show it. */
  firstParty: boolean;
  /** Authorization requests must come through PAR (RFC 9126 §6). */
  requirePushedAuthorizationRequests: boolean;
  idTokenLifetimeSeconds: number;
  refreshToken: {
    /** A refresh token unused this long expires. */
    idleSeconds: number;
    /** A family ends this long after it began, however it was used. */
    absoluteSeconds: number;
    /** A rotated token used again within this many seconds gets the same successor (two tabs), not a revocation. */
    reuseGraceSeconds: number;
  };
}

/**
 * What verifies a client's JWT assertion (RFC 7523 §2.2, OpenID Connect Core §9).
 * - `jwks`: the public keys declared inline, parsed at compile time.
 * - `jwksUri`: where its public keys are fetched; the token endpoint caches them.
 * - `secret`: the client secret itself as an HMAC key. A digest suffices to check a secret that is sent,
 *   but verifying an HMAC needs the key, so only `client_secret_jwt` clients keep their secret in the
 *   snapshot (in memory, as a KeyObject that never serializes); every other client keeps a digest.
 */
export type AssertionKeys =
  | { kind: 'jwks'; keys: readonly ClientKey[] }
  | { kind: 'jwksUri'; uri: string }
  | { kind: 'secret'; keys: readonly KeyObject[]; previous?: Expiring<KeyObject> };

/**
 * A credential that works until a time: the secret a rotation replaced, during its grace period. The
 * snapshot is compiled without a clock, so whoever checks a credential compares `validUntilMs` with theirs.
 */
export interface Expiring<T> {
  value: T;
  /** Milliseconds since the epoch; refused from then on. */
  validUntilMs: number;
}

export interface FederatedIdentity {
  /** The Connection, as `namespace/name`: a key of {@link Snapshot.connections}. */
  connection: string;
  /** The exact `sub` of the workload's token. */
  subject: string;
}

export interface CompiledConnection {
  namespace: string;
  name: string;
  type: ConnectionType;
  /** The issuer the operator found when its check passed, else `spec.issuer`. */
  issuer?: string;
  /**
   * The issuer's signing keys from the operator's last passing check; empty when it has not passed. Federated
   * workload tokens are verified with them, so the token path does no I/O.
   */
  keys: readonly ClientKey[];
  /** How people sign in through it; absent for `kubernetes` and for an `oidc` Connection without `clientId`. */
  signIn?: ConnectionSignIn;
}

export type ConnectionType = 'kubernetes' | 'oidc' | 'github' | 'google' | 'test';

/**
 * A Connection people sign in through (issue 12), compiled. Endpoints not given are discovered (`oidc`,
 * `google`) or are GitHub's documented ones under `baseUrl` (`github`).
 */
export interface ConnectionSignIn {
  /** Shown on the login page; `metadata.name` when the spec has none. */
  displayName: string;
  /** Latchkey's client id at the upstream; absent for `test`. */
  clientId?: string;
  /**
   * Latchkey's client secret at the upstream, read from `spec.clientSecretRef` (in memory only; never logged or
   * written to status). Absent for `test` and for a public upstream client (PKCE alone).
   */
  clientSecret?: string;
  /** Scopes requested upstream, besides the type's own (`openid` for OIDC types). */
  scopes: readonly string[];
  authorizationUrl?: string;
  tokenUrl?: string;
  /** Userinfo (`oidc`, `google`) or the user API (`github`). */
  profileUrl?: string;
  /** Where claims come from (OIDC types): claim names, and a dotted path for groups. */
  claims: {
    userId: string;
    email: string;
    emailVerified: string;
    name: string;
    username: string;
    groups?: string;
  };
  userMatchingMode: 'identifier' | 'email_link' | 'email_deny' | 'username_link' | 'username_deny';
  /** The upstream's verified emails may link accounts (with `email_link`). */
  trustEmail: boolean;
  /** `google`: only these hosted domains (`hd` claim) may sign in; empty means any. */
  hostedDomains: readonly string[];
  /** `github`: the web base (`https://github.com` or a GitHub Enterprise host); the API is derived from it. */
  baseUrl?: string;
  /** `github`: only members of these organizations may sign in; empty means any account. */
  allowedOrganizations: readonly string[];
  /** `test`: declared people, for `latchkey dev` only (the operator refuses this type). */
  testUsers: readonly TestUser[];
}

/** A person declared in a `test` Connection. */
export interface TestUser {
  /** The upstream subject: stable, what the identity is keyed by. */
  username: string;
  /** SHA-256 digest of the declared password. */
  passwordDigest: Buffer;
  email?: string;
  emailVerified: boolean;
  name?: string;
  groups: readonly string[];
}

/** The clients that list each workload subject among their `federatedIdentities`. */
export interface FederatedClients {
  /** By `connection NUL subject` (`federatedSubjectKey`): the clients listing it, in claim order. */
  bySubject: ReadonlyMap<string, readonly CompiledClient[]>;
  /** Each federating client's place in the claim order of {@link Snapshot.clients}. */
  rank: ReadonlyMap<CompiledClient, number>;
}

/** One immutable, indexed view of the declared world. A token request reads one and does no I/O. */
export interface Snapshot {
  /** Increases with every swap. */
  version: number;
  /**
   * By client id, in claim order (src/store/claims.ts): the oldest claim first. A subject federated by several
   * namespaces goes, without `client_id`, to the namespace that comes first here (issue 9, item 7).
   */
  clients: ReadonlyMap<string, CompiledClient>;
  apis: ReadonlyMap<string, CompiledApi>;
  organizations: ReadonlyMap<string, CompiledOrganization>;
  connections: ReadonlyMap<string, CompiledConnection>;
  /** Connections whose check passed, by the issuer found: what a federated token's `iss` is looked up in. */
  connectionsByIssuer: ReadonlyMap<string, readonly CompiledConnection[]>;
  /** Roles with `spec.subjects` that resolved: the people they name and what they give them. */
  peopleRoles: readonly PeopleGrant[];
  /** The clients of each federated workload subject (src/store/compile/federated-index.ts). */
  federatedClients: FederatedClients;
  keys: SigningKeys;
}

/** Where request handlers get the snapshot in force. */
export interface SnapshotSource {
  current(): Snapshot;
}
