import type { GrantType } from '../../api/oauth-client.ts';
import type { CompiledClient, Snapshot } from '../../store/snapshot.ts';

/** What a grant handler gets: one snapshot, the authenticated client and the parameters it accepts. */
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

/** A successful token response (RFC 6749 §5.1). */
export interface TokenResponse {
  access_token: string;
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
  handler: (ctx: GrantContext) => Promise<Issued>;
}
