import { clientCredentials } from './client-credentials.ts';
import type { Grant } from './grant.ts';

export type { Grant, GrantContext, Issued, TokenResponse } from './grant.ts';

/** The grant types this server implements, by their literal `grant_type` (a Map: no prototype lookups). */
export const GRANTS: ReadonlyMap<string, Grant> = new Map<string, Grant>([
  [clientCredentials.type, clientCredentials],
]);
