import type { GrantType } from '../../api/oauth-client.ts';
import type { DevicePollMemory } from '../../people/device/poll-memory.ts';
import type { RevocationStore } from '../../runtime/revocation-store.ts';
import type { RuntimeState } from '../../state/runtime-state.ts';
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
  /** Where people's codes and refresh tokens live; only servers with runtime state serve the people grants. */
  people?: PeopleGrantDeps;
}

/** What the people grants (`authorization_code`, `refresh_token`) need besides the request (issue 12). */
export interface PeopleGrantDeps {
  state: RuntimeState;
  /** A reused code revokes the access token it issued (RFC 6749 §4.1.2). */
  revocations: RevocationStore;
  /** What this replica remembers of the devices that poll it (RFC 8628), so a poll touches the store once. */
  devicePolls?: DevicePollMemory;
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
  /** RFC 6749 §6, issue 12: when `offline_access` was granted; rotated on every use. */
  refresh_token?: string;
  /** OpenID Connect Core §3.1.3.3: when `openid` was granted. */
  id_token?: string;
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
  /**
   * A public client (`tokenEndpointAuthMethod: none`, with people sign-in settings) may authenticate by
   * `client_id` alone (RFC 6749 §2.1, §3.2.1): PKCE or the refresh token it holds is what binds the request.
   */
  publicClients?: boolean;
  /** Served only with runtime state, where its codes or refresh tokens live. */
  needsState?: boolean;
  /** For `optional` grants: the client the token is for, from what the grant carries. */
  identify?: (ctx: IdentifyContext) => Promise<CompiledClient>;
  handler: (ctx: GrantContext) => Promise<Issued>;
}
