import type { GrantType } from '../../api/oauth-client.ts';
import type { CompiledClient, Snapshot } from '../../store/snapshot.ts';
import type { AssertionVerifier } from '../assertion/verifier.ts';

/** What a grant handler gets: one snapshot, the client the token is for and the parameters it accepts. */
export interface GrantContext {
  snapshot: Snapshot;
  client: CompiledClient;
  /** Only the parameters named in the grant's `parameters`; null prototype. */
  params: Readonly<Record<string, string>>;
  /** Every `resource` value of the request (RFC 8707). */
  resources: readonly string[];
  issuer: string;
  now: () => number;
}

/** What a grant that names its client itself gets to find that client. */
export interface IdentifyContext {
  snapshot: Snapshot;
  /** The client that authenticated, when the request carried client credentials. */
  authenticated: CompiledClient | undefined;
  /** `client_id` of a request that sent no credentials (RFC 6749 §3.2.1), narrowing the choice. */
  clientId: string | undefined;
  /** Only the parameters named in the grant's `parameters`; null prototype. */
  params: Readonly<Record<string, string>>;
  /** Verifies tokens from the issuers of Connections, as for federated client assertions. */
  assertions: AssertionVerifier;
}

/** A successful token response (RFC 6749 §5.1). */
export interface TokenResponse {
  access_token: string;
  /** RFC 8693 §2.2.1: a token exchange says what it issued. */
  issued_token_type?: string;
  token_type: 'Bearer';
  expires_in: number;
  scope?: string;
}

export interface Issued {
  response: TokenResponse;
  audience: string;
  algorithm: string;
  organizationId?: string;
}

export interface Grant {
  /** The literal `grant_type`. */
  type: GrantType;
  /** Parameters the grant reads, besides `grant_type` and client authentication. */
  parameters: ReadonlySet<string>;
  /**
   * `required`: the token is for the client that authenticates. `optional`: the grant's own credential names
   * the client ({@link Grant.identify}), and credentials, when sent, must authenticate that same client.
   */
  clientAuthentication: 'required' | 'optional';
  /** For `optional` grants: the client the token is for, from what the grant carries. */
  identify?: (ctx: IdentifyContext) => Promise<CompiledClient>;
  handler: (ctx: GrantContext) => Promise<Issued>;
}
