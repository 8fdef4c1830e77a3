import { SUPPORTED_GRANT_TYPES, type SupportedGrantType } from '../../api/protocol-capabilities.ts';
import { authorizationCode } from './authorization-code.ts';
import { clientCredentials } from './client-credentials.ts';
import { deviceCode } from './device-code.ts';
import type { Grant } from './grant.ts';
import { jwtBearer } from './jwt-bearer.ts';
import { refreshToken } from './refresh-token.ts';
import { tokenExchange } from './token-exchange.ts';

export type {
  Grant,
  GrantContext,
  IdentifyContext,
  Issued,
  PeopleGrantDeps,
  TokenResponse,
} from './grant.ts';

/** A handler for each grant type the capability table marks supported, and for no other. */
const HANDLERS: { readonly [G in SupportedGrantType]: Grant } = {
  client_credentials: clientCredentials,
  authorization_code: authorizationCode,
  refresh_token: refreshToken,
  'urn:ietf:params:oauth:grant-type:device_code': deviceCode,
  'urn:ietf:params:oauth:grant-type:jwt-bearer': jwtBearer,
  'urn:ietf:params:oauth:grant-type:token-exchange': tokenExchange,
};

/** The grant types this server implements, by their literal `grant_type` (a Map: no prototype lookups). */
export const GRANTS: ReadonlyMap<string, Grant> = new Map<string, Grant>(
  SUPPORTED_GRANT_TYPES.map((type) => [type, HANDLERS[type]]),
);

const WITHOUT_STATE: ReadonlyMap<string, Grant> = new Map(
  [...GRANTS].filter(([, grant]) => grant.needsState !== true),
);

/**
 * The grants a server serves: all of {@link GRANTS} with runtime state, else only those that need none. A server
 * without runtime state is machine-to-machine only and answers the people grants `unsupported_grant_type`,
 * as its discovery document says.
 */
export function servedGrants(withState: boolean): ReadonlyMap<string, Grant> {
  return withState ? GRANTS : WITHOUT_STATE;
}
