import { SUPPORTED_GRANT_TYPES, type SupportedGrantType } from '../../api/protocol-capabilities.ts';
import { clientCredentials } from './client-credentials.ts';
import type { Grant } from './grant.ts';
import { jwtBearer } from './jwt-bearer.ts';
import { tokenExchange } from './token-exchange.ts';

export type { Grant, GrantContext, IdentifyContext, Issued, TokenResponse } from './grant.ts';

/** A handler for each grant type the capability table marks supported, and for no other. */
const HANDLERS: { readonly [G in SupportedGrantType]: Grant } = {
  client_credentials: clientCredentials,
  'urn:ietf:params:oauth:grant-type:jwt-bearer': jwtBearer,
  'urn:ietf:params:oauth:grant-type:token-exchange': tokenExchange,
};

/** The grant types this server implements, by their literal `grant_type` (a Map: no prototype lookups). */
export const GRANTS: ReadonlyMap<string, Grant> = new Map<string, Grant>(
  SUPPORTED_GRANT_TYPES.map((type) => [type, HANDLERS[type]]),
);
