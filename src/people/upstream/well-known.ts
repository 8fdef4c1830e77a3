/**
 * The upstream addresses a Connection gets when it names none (defined with the schema, src/api), apart from the
 * providers that use them, so the login page can name them without loading an upstream HTTP client.
 */
export { GITHUB_BASE_URL as GITHUB_WEB, GOOGLE_ISSUER } from '../../api/connection-sign-in.ts';
