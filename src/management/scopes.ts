/**
 * Latchkey's built-in management API (issue 14): a ResourceServer every installation has, in the Latchkey
 * namespace, whose tokens call `<issuer>/api/v1`.
 */

/**
 * The Latchkey namespace when nothing else says: the operator's default (its `--namespace`), and dev mode's,
 * which has no operator.
 */
export const DEFAULT_LATCHKEY_NAMESPACE = 'latchkey-system';

/** Its name in the Latchkey namespace: what an OAuthClient grant or a Role names to reach it. */
export const MANAGEMENT_API_NAME = 'management-api';

/** The resources served so far, by their path segment, each with the scope that reads it (Auth0's names). */
export const MANAGEMENT_READ_SCOPES = {
  clients: 'read:clients',
  'resource-servers': 'read:resource_servers',
  roles: 'read:roles',
} as const;

export type ManagementResource = keyof typeof MANAGEMENT_READ_SCOPES;

/** Every scope the management API declares, in the order its ResourceServer lists them. */
export const MANAGEMENT_SCOPES: readonly string[] = Object.values(MANAGEMENT_READ_SCOPES);
