import { clientCredentials } from './client-credentials.ts';
import type { Grant } from './grant.ts';
import { jwtBearer } from './jwt-bearer.ts';
import { tokenExchange } from './token-exchange.ts';

export type { Grant, GrantContext, IdentifyContext, Issued, TokenResponse } from './grant.ts';

/** The grant types this server implements, by their literal `grant_type` (a Map: no prototype lookups). */
export const GRANTS: ReadonlyMap<string, Grant> = new Map<string, Grant>([
  [clientCredentials.type, clientCredentials],
  [jwtBearer.type, jwtBearer],
  [tokenExchange.type, tokenExchange],
]);
