import type { AuthMethod, GrantType } from './oauth-client.ts';

/**
 * What Latchkey implements of the protocol, one row per grant type and per client authentication method the
 * schema accepts. The compiler reports a client's unsupported choices from it; the token endpoint's grant
 * registry, client authentication and discovery (RFC 8414 §2) serve exactly its supported rows.
 */
export interface GrantCapability {
  /** Implemented by the token endpoint; the others are accepted by the schema and reported as not yet supported. */
  supported: boolean;
  /**
   * The grant carries its own credential: its token (RFC 7523 §2.1 `assertion`, RFC 8693 §2.1 `subject_token`)
   * names the client through the client's `federatedIdentities`, so client authentication is optional and a
   * client without federated identities can never use it.
   */
  federated: boolean;
}

export interface AuthMethodCapability {
  /** Implemented by the token endpoint (and listed in discovery). */
  supported: boolean;
  /** Authenticates with the client secret of the client's Secret, which Latchkey generates. */
  sharedSecret: boolean;
  /**
   * What the client presents: its secret as it is (`sent`: HTTP Basic or the form body, RFC 6749 §2.3.1), a
   * JWT assertion (`signed`: RFC 7523 §2.2, OpenID Connect Core §9), or nothing.
   */
  presents: 'sent' | 'signed' | 'nothing';
}

/** Per grant type (RFC 6749 §4, RFC 7523, RFC 8693, RFC 8628). */
export const GRANT_CAPABILITIES = {
  client_credentials: { supported: true, federated: false },
  authorization_code: { supported: true, federated: false },
  refresh_token: { supported: true, federated: false },
  'urn:ietf:params:oauth:grant-type:device_code': { supported: true, federated: false },
  'urn:ietf:params:oauth:grant-type:jwt-bearer': { supported: true, federated: true },
  'urn:ietf:params:oauth:grant-type:token-exchange': { supported: true, federated: true },
} as const satisfies Readonly<Record<GrantType, GrantCapability>>;

/** Per client authentication method (`token_endpoint_auth_method`, RFC 7591 §2). */
export const AUTH_METHOD_CAPABILITIES = {
  client_secret_basic: { supported: true, sharedSecret: true, presents: 'sent' },
  client_secret_post: { supported: true, sharedSecret: true, presents: 'sent' },
  private_key_jwt: { supported: true, sharedSecret: false, presents: 'signed' },
  // The HMAC key of the assertion is the client secret (OpenID Connect Core §9).
  client_secret_jwt: { supported: true, sharedSecret: true, presents: 'signed' },
  // A public client (RFC 6749 §2.1): by client_id alone, for authorization_code and refresh_token only.
  none: { supported: true, sharedSecret: false, presents: 'nothing' },
} as const satisfies Readonly<Record<AuthMethod, AuthMethodCapability>>;

/** The grant types the token endpoint implements: a registry keyed by this type has a handler for each. */
export type SupportedGrantType = {
  [G in GrantType]: (typeof GRANT_CAPABILITIES)[G]['supported'] extends true ? G : never;
}[GrantType];

function grantTypesWhere(test: (c: GrantCapability) => boolean): GrantType[] {
  return (Object.keys(GRANT_CAPABILITIES) as GrantType[]).filter((g) => test(GRANT_CAPABILITIES[g]));
}

function authMethodsWhere(test: (c: AuthMethodCapability) => boolean): AuthMethod[] {
  return (Object.keys(AUTH_METHOD_CAPABILITIES) as AuthMethod[]).filter((m) =>
    test(AUTH_METHOD_CAPABILITIES[m]),
  );
}

/** In table order: `grant_types_supported` of discovery. */
export const SUPPORTED_GRANT_TYPES = grantTypesWhere((c) => c.supported) as readonly SupportedGrantType[];
/** Grant types whose token names the client only through its `federatedIdentities`. */
export const FEDERATED_GRANT_TYPES: ReadonlySet<GrantType> = new Set(grantTypesWhere((c) => c.federated));

/** In table order: `token_endpoint_auth_methods_supported` of discovery. */
export const SUPPORTED_AUTH_METHODS: readonly AuthMethod[] = authMethodsWhere((c) => c.supported);
/** Methods that authenticate with the client secret in the client's Secret; their clients get a generated one. */
export const SHARED_SECRET_METHODS: ReadonlySet<AuthMethod> = new Set(
  authMethodsWhere((c) => c.sharedSecret),
);
/**
 * Methods whose secret is sent as it is, so a digest of it is all the token endpoint needs; a client
 * registered with either may use both (design.md).
 */
export const SENT_SECRET_METHODS: readonly AuthMethod[] = authMethodsWhere(
  (c) => c.supported && c.presents === 'sent',
);
/** Methods that authenticate with a signed JWT assertion (RFC 7523 §2.2, OpenID Connect Core §9). */
export const SIGNED_ASSERTION_METHODS: readonly AuthMethod[] = authMethodsWhere(
  (c) => c.supported && c.presents === 'signed',
);
