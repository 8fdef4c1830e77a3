/**
 * The upstream addresses a Connection gets when it names none, apart from the providers that use them, so the
 * login page can name them without loading an upstream HTTP client.
 */
export { GOOGLE_ISSUER } from '../../api/connection-sign-in.ts';

/** GitHub's web base; GitHub Enterprise Connections set `baseUrl` instead. */
export const GITHUB_WEB = 'https://github.com';
