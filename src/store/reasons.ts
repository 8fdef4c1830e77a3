/**
 * Condition reasons, one place for all of them (Kubernetes API conventions: CamelCase constants).
 * docs/troubleshooting.md explains each and what to do.
 */
export const Reason = {
  /** Everything the object declares is in effect. */
  Reconciled: 'Reconciled',
  /** A referenced object does not exist (or is not in effect itself). */
  ReferenceNotFound: 'ReferenceNotFound',
  /** A referenced object in another namespace does not select this namespace in `allowedNamespaces`. */
  ReferenceNotAllowed: 'ReferenceNotAllowed',
  /** A permission names a scope its ResourceServer does not declare. */
  ScopeNotDeclared: 'ScopeNotDeclared',
  /** Another ResourceServer, created earlier, already uses this identifier. */
  IdentifierConflict: 'IdentifierConflict',
  /** A grant names `namespaces` it cannot reach: of another API, or beyond its client's namespace. */
  NamespacesNotAllowed: 'NamespacesNotAllowed',
  /** A ResourceServer has the name of the built-in management API in the Latchkey namespace. */
  NameReserved: 'NameReserved',
  /** Another OAuthClient, created earlier, already uses this client id. */
  ClientIdConflict: 'ClientIdConflict',
  /** A custom `spec.clientId` has the shape `<name>.<namespace>` of another namespace's default client ids. */
  ClientIdNotAllowed: 'ClientIdNotAllowed',
  /** Another Organization, created earlier, already uses this name (the `org_name` claim). */
  OrganizationNameConflict: 'OrganizationNameConflict',
  /** The token lifetime is outside what Latchkey accepts. */
  InvalidLifetime: 'InvalidLifetime',
  /** The client's Secret (or its key) is not there yet. */
  SecretMissing: 'SecretMissing',
  /** A Secret written by someone else holds a secret too short to resist guessing. */
  SecretTooWeak: 'SecretTooWeak',
  /** A Secret of the generated Secret's name exists but belongs to something else; it is not used. */
  SecretNotOwned: 'SecretNotOwned',
  /** The Secret is in place and its secret is in effect. */
  SecretAvailable: 'SecretAvailable',
  /** The client authentication method is not implemented yet. */
  AuthMethodNotSupported: 'AuthMethodNotSupported',
  /** A `private_key_jwt` client's keys cannot verify its assertions (a bad JWK, or no keys at all). */
  InvalidClientKeys: 'InvalidClientKeys',
  /** A listed grant type is not implemented yet. */
  GrantTypeNotSupported: 'GrantTypeNotSupported',
  /** A listed grant maps its token to the client through `federatedIdentities`, and the client has none. */
  GrantNeedsFederatedIdentity: 'GrantNeedsFederatedIdentity',
  /** The issuer's discovery document and keys were fetched and are consistent. */
  IssuerVerified: 'IssuerVerified',
  /** The issuer could not be reached, or what it served is not usable. */
  IssuerUnreachable: 'IssuerUnreachable',
  /** The spec does not satisfy Latchkey's schema. */
  InvalidSpec: 'InvalidSpec',
  /** Nothing has verified the upstream issuer yet (dev mode does not contact it). */
  DiscoveryNotChecked: 'DiscoveryNotChecked',
  /** A Connection of type `test` outside `latchkey dev`: declared passwords never sign people in to a cluster. */
  TestConnectionNotAllowed: 'TestConnectionNotAllowed',
  /** A client that signs people in offers a Connection that cannot sign people in, or offers none. */
  ConnectionCannotSignIn: 'ConnectionCannotSignIn',
} as const;

export type ReasonName = (typeof Reason)[keyof typeof Reason];

/** Why one part of an object is not in effect: a reason and a message naming the field. */
export interface Problem {
  reason: ReasonName;
  message: string;
}

export const ConditionType = {
  Ready: 'Ready',
  ReferencesResolved: 'ReferencesResolved',
  SecretReady: 'SecretReady',
  IssuerVerified: 'IssuerVerified',
} as const;
