import type { ConnectionSpec } from '../api/connection.ts';
import type { KindName } from '../api/kinds.ts';
import type { OAuthClientSpec } from '../api/oauth-client.ts';
import type { OrganizationSpec } from '../api/organization.ts';
import type { ResourceServerSpec } from '../api/resource-server.ts';
import type { RoleSpec } from '../api/role.ts';
import type { AddressPolicy } from '../outbound/address-policy.ts';

export interface ObjectMeta {
  name: string;
  namespace: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  /** RFC 3339; decides which of two conflicting objects wins (the older). */
  creationTimestamp?: string;
  labels?: Readonly<Record<string, string>>;
  annotations?: Readonly<Record<string, string>>;
}

/** Where a declared object came from, when it came from a file (dev mode, `latchkey validate`). */
export interface Origin {
  file: string;
  line: number;
}

interface Declared<K extends KindName, S> {
  kind: K;
  metadata: ObjectMeta;
  spec: S;
  origin?: Origin;
  /**
   * Whether the object's status, written by Latchkey for its current generation, says it holds its identifier
   * (ResourceServer) or client id (OAuthClient). Breaks ties of creation time (src/store/claims.ts).
   */
  claimHeld?: boolean;
}

export type DeclaredResourceServer = Declared<'ResourceServer', ResourceServerSpec>;
export type DeclaredRole = Declared<'Role', RoleSpec>;
export type DeclaredOAuthClient = Declared<'OAuthClient', OAuthClientSpec>;
export type DeclaredOrganization = Declared<'Organization', OrganizationSpec>;
export type DeclaredConnection = Declared<'Connection', ConnectionSpec>;
export type DeclaredObject =
  DeclaredResourceServer | DeclaredRole | DeclaredOAuthClient | DeclaredOrganization | DeclaredConnection;

/** A Kubernetes Secret's data, decoded to UTF-8 strings. */
export interface SecretData {
  namespace: string;
  name: string;
  data: Readonly<Record<string, string>>;
  labels?: Readonly<Record<string, string>>;
  /** What a generated Secret records about rotation (`SECRET_ROTATION_ANNOTATIONS`). */
  annotations?: Readonly<Record<string, string>>;
  /** RFC 3339: when the Secret was created, the start of a rotation schedule before the first rotation. */
  creationTimestamp?: string;
  /** uid of the object named controller in its ownerReferences, when it has one. */
  controllerUid?: string;
}

/** Everything the store compiles from: the declared objects and the cluster facts they depend on. */
export interface WorldInputs {
  objects: readonly DeclaredObject[];
  /** Keyed by `namespace/name`. */
  secrets: ReadonlyMap<string, SecretData>;
  /** Namespace labels, keyed by namespace name; a namespace not listed has only its name label. */
  namespaces: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** What the operator found at each Connection's issuer, keyed by `namespace/name`; absent: not checked. */
  connectionChecks?: ReadonlyMap<string, ConnectionCheck>;
  /**
   * What a Connection whose issuer has not been checked says, by type (`IssuerVerified` Unknown); absent: the
   * operator's words. Dev mode names its `--check-connections` instead.
   */
  uncheckedIssuer?: Readonly<Partial<Record<ConnectionSpec['type'], string>>>;
  /**
   * Whether `test` Connections sign people in: `latchkey dev` sets it. Absent, the operator's rule: a `test`
   * Connection is refused (`TestConnectionNotAllowed`), since its passwords sit in plain text in manifests.
   */
  allowTestConnections?: boolean;
  /** Objects whose spec the schema refuses (possible only when the API server's CRD is older than ours). */
  invalid?: readonly InvalidObject[];
  /**
   * Which hosts a client's `jwksUri` may name, as the token server will fetch it (the operator's
   * `--allow-issuer-hosts`); absent (offline validation): only its scheme is checked.
   */
  addressPolicy?: AddressPolicy;
  /**
   * Where the built-in management API lives (src/store/compile/management-api.ts): the Latchkey namespace and
   * `<issuer>/api/v1`. Absent (offline validation): there is none.
   */
  managementApi?: { namespace: string; identifier: string };
}

/**
 * `keys` counts the signing keys found; `jwks` holds them (public JWKs, as published), so the token endpoint
 * can verify federated workload tokens from the snapshot without I/O.
 */
export type ConnectionCheck =
  | { ok: true; issuer: string; jwksUri: string; keys: number; jwks: readonly Record<string, unknown>[] }
  | {
      ok: false;
      message: string;
      /** What the last passing check found, kept while the issuer is unreachable so a blip refuses no token. */
      lastGood?: { issuer: string; jwksUri: string; jwks: readonly Record<string, unknown>[] };
    };

export interface InvalidObject {
  kind: KindName;
  metadata: ObjectMeta;
  message: string;
}

export type ObjectKey = `${KindName}/${string}/${string}`;

export function objectKey(kind: KindName, namespace: string, name: string): ObjectKey {
  return `${kind}/${namespace}/${name}`;
}

export function secretKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}
