/**
 * The fields of an OAuthClient that people sign in through (issue 12): where the authorization response may
 * go, which Connections the login page offers, consent, and the lifetimes of ID and refresh tokens.
 */
import { z } from 'zod';
import { duration, objectRef, withRules, type CrossFieldRule } from './common.ts';
import { parseDuration } from './duration.ts';
import type { GrantType } from './oauth-client.ts';

/** Most redirect URIs (and post-logout redirect URIs, allowed origins) one client may register. */
export const MAX_REDIRECT_URIS = 32;
/** Most Connections one client may offer. */
export const MAX_CLIENT_CONNECTIONS = 16;

// Host forms shared by the URI patterns: a DNS name or an IP literal, without userinfo (RFC 3986 §3.2.1).
const HOST = '([A-Za-z0-9.-]+|\\[[0-9A-Fa-f:.]+\\])';
const LOOPBACK = '(localhost|127\\.0\\.0\\.1|\\[::1\\])';
const PORT = '(:[0-9]{1,5})?';

/**
 * A redirect URI (RFC 6749 §3.1.2): absolute, without a fragment. https; or http to a loopback host (RFC 8252
 * §7.3, §8.3), where nothing crosses a network; or a private-use scheme in reverse-domain form such as
 * `com.example.app:/cb` (RFC 8252 §7.1), for native clients only (a rule of the spec says so).
 */
export const REDIRECT_URI = new RegExp(
  `^(https://${HOST}${PORT}([/?][^\\s#]*)?|http://${LOOPBACK}${PORT}([/?][^\\s#]*)?|[a-z][a-z0-9+-]*(\\.[a-z0-9+-]+)+:/([^/\\s#][^\\s#]*)?)$`,
);

/** An origin (RFC 6454 §4): scheme, host and port, no path; https, or http to a loopback host. */
export const ORIGIN = new RegExp(`^(https://${HOST}${PORT}|http://${LOOPBACK}${PORT})$`);

/**
 * A logo URL: https only, without userinfo (RFC 3986 §3.2.1) or a fragment. The person's browser loads it from
 * the tenant's host, so nothing in the clear, no `data:` or `javascript:`, and a host a Content-Security-Policy
 * source can name (src/people/pages/logo.ts).
 */
export const LOGO_URI = new RegExp(`^https://${HOST}${PORT}([/?][^\\s#]*)?$`);

/** The schemes of redirect URIs that are not private-use ones; CEL's startsWith checks the same. */
const WEB_SCHEMES = ['https://', 'http://'] as const;

export const DEFAULT_ID_TOKEN_LIFETIME = '1h';
export const MAX_ID_TOKEN_LIFETIME = '24h';
export const DEFAULT_REFRESH_IDLE_LIFETIME = '336h';
export const DEFAULT_REFRESH_ABSOLUTE_LIFETIME = '720h';
export const DEFAULT_REFRESH_REUSE_GRACE = '10s';
export const MAX_REFRESH_REUSE_GRACE = '60s';

// Bounded so the CEL cost of duration() stays small.
const lifetime = duration.max(32);

const ms = (d: string): number => parseDuration(d) ?? Number.NaN;

const redirectUriList = (what: string, description: string) =>
  z
    .array(z.string().max(2048).regex(REDIRECT_URI))
    .min(1)
    .max(MAX_REDIRECT_URIS)
    .optional()
    .meta({
      description: `${description} Each is absolute, without a fragment, and matched exactly as written (RFC 6749 §3.1.2.2, RFC 9700 §4.1.1): https; http only to 127.0.0.1, [::1] or localhost (RFC 8252 §7.3); or, for \`appType: native\`, a private-use scheme in reverse-domain form such as \`com.example.app:/${what}\` (RFC 8252 §7.1). At most ${MAX_REDIRECT_URIS}. Only for clients that sign people in (\`authorization_code\`).`,
      'x-kubernetes-list-type': 'set',
    });

const idTokenObject = z.object({
  lifetime: lifetime.default(DEFAULT_ID_TOKEN_LIFETIME).meta({
    description: `How long an ID token is valid (its \`exp\`, OpenID Connect Core §2); default \`${DEFAULT_ID_TOKEN_LIFETIME}\`, at most \`${MAX_ID_TOKEN_LIFETIME}\`.`,
  }),
});

const idToken = withRules(idTokenObject, [
  {
    cel: `duration(self.lifetime) >= duration('1s') && duration(self.lifetime) <= duration('${MAX_ID_TOKEN_LIFETIME}')`,
    message: `lifetime must be between 1s and ${MAX_ID_TOKEN_LIFETIME}`,
    field: 'lifetime',
    holds: (t) => ms(t.lifetime) >= 1000 && ms(t.lifetime) <= ms(MAX_ID_TOKEN_LIFETIME),
  },
])
  .optional()
  .meta({ description: 'ID tokens issued to this client (OpenID Connect Core §2).' });

const refreshTokenObject = z.object({
  idleLifetime: lifetime.default(DEFAULT_REFRESH_IDLE_LIFETIME).meta({
    description: `A refresh token not used for this long expires; default \`${DEFAULT_REFRESH_IDLE_LIFETIME}\` (14 days). At most \`absoluteLifetime\`.`,
  }),
  absoluteLifetime: lifetime.default(DEFAULT_REFRESH_ABSOLUTE_LIFETIME).meta({
    description: `A sign-in's refresh tokens (one family, RFC 9700 §4.14.2) end this long after the person signed in, however often they were used; default \`${DEFAULT_REFRESH_ABSOLUTE_LIFETIME}\` (30 days).`,
  }),
  reuseGrace: lifetime.default(DEFAULT_REFRESH_REUSE_GRACE).meta({
    description: `Refresh tokens rotate on every use, and a rotated one used again revokes its whole family (RFC 9700 §4.14.2), except within this time after its rotation: two browser tabs refreshing at once get the same successor. Default \`${DEFAULT_REFRESH_REUSE_GRACE}\`, at most \`${MAX_REFRESH_REUSE_GRACE}\`; \`0s\` turns the grace off.`,
  }),
});

const refreshToken = withRules(refreshTokenObject, [
  {
    cel: "duration(self.idleLifetime) >= duration('1s') && duration(self.idleLifetime) <= duration(self.absoluteLifetime)",
    message: 'idleLifetime must be at least 1s and at most absoluteLifetime',
    field: 'idleLifetime',
    holds: (t) => ms(t.idleLifetime) >= 1000 && ms(t.idleLifetime) <= ms(t.absoluteLifetime),
  },
  {
    cel: `duration(self.reuseGrace) <= duration('${MAX_REFRESH_REUSE_GRACE}')`,
    message: `reuseGrace must be at most ${MAX_REFRESH_REUSE_GRACE}: a stolen refresh token is usable by both holders during it`,
    field: 'reuseGrace',
    holds: (t) => ms(t.reuseGrace) <= ms(MAX_REFRESH_REUSE_GRACE),
  },
])
  .optional()
  .meta({
    description:
      'Refresh tokens issued to this client (`refresh_token` grant, RFC 6749 §6): rotated on every use, with idle and absolute lifetimes. Issued only when the person grants `offline_access`.',
  });

/** The spec fields of an OAuthClient that only clients that sign people in use. */
export const peopleClientFields = {
  redirectUris: redirectUriList(
    'cb',
    'Where the authorization response may be sent (`redirect_uri`, RFC 6749 §3.1.2). For `appType: native`, a loopback URI matches on any port (RFC 8252 §7.3).',
  ),
  postLogoutRedirectUris: redirectUriList(
    'signed-out',
    'Where RP-initiated logout may send the person afterwards (`post_logout_redirect_uri`, OpenID Connect RP-Initiated Logout §3).',
  ),
  allowedOrigins: z
    .array(z.string().max(2048).regex(ORIGIN))
    .min(1)
    .max(MAX_REDIRECT_URIS)
    .optional()
    .meta({
      description: `Origins (scheme, host and port, no path, RFC 6454 §4: \`https://app.example.com\`) whose browser code may call the token endpoint (CORS), for \`appType: spa\`. https, or http to 127.0.0.1, [::1] or localhost. At most ${MAX_REDIRECT_URIS}. Only for clients that sign people in.`,
      'x-kubernetes-list-type': 'set',
    }),
  connections: z
    .array(objectRef('Connection'))
    .min(1)
    .max(MAX_CLIENT_CONNECTIONS)
    .optional()
    .meta({
      description: `The Connections people may sign in through, in the order the login page lists them (the page is skipped when there is one). The namespace defaults to this client's own; a Connection in another namespace must select this namespace in its \`allowedNamespaces\`. At most ${MAX_CLIENT_CONNECTIONS}. Only for clients that sign people in.`,
    }),
  logoUri: z.string().max(2048).regex(LOGO_URI).optional().meta({
    description:
      "URL of the application's logo, shown beside its `displayName` on the hosted login and consent pages. https only, without userinfo or a fragment, at most 2048 characters. The person's browser loads it from your host without a referrer, and the pages' Content-Security-Policy allows images from that origin only. Only for clients that sign people in.",
  }),
  // No schema defaults: the API server would write them into every machine client too.
  firstParty: z.boolean().optional().meta({
    description:
      'Whether the application is your own: people signing in to a first-party client are not asked for consent. A third-party client (the default, false) shows the consent page with its name and the scopes it asks for, in words. Only for clients that sign people in.',
  }),
  requirePushedAuthorizationRequests: z.boolean().optional().meta({
    description:
      'Refuse authorization requests that do not come through the pushed authorization request endpoint (RFC 9126 §6: `require_pushed_authorization_requests`), so parameters never travel in the browser URL. Default false. Only for clients that sign people in.',
  }),
  idToken,
  refreshToken,
};

/** What the rules below read of an OAuthClient spec. */
interface PeopleRuleInput {
  appType: 'non_interactive' | 'native' | 'web' | 'spa';
  grantTypes: readonly GrantType[];
  tokenEndpointAuthMethod: string;
  redirectUris?: readonly string[] | undefined;
  postLogoutRedirectUris?: readonly string[] | undefined;
  allowedOrigins?: readonly string[] | undefined;
  connections?: readonly unknown[] | undefined;
  logoUri?: string | undefined;
  firstParty?: boolean | undefined;
  requirePushedAuthorizationRequests?: boolean | undefined;
  idToken?: unknown;
  refreshToken?: unknown;
}

const DEVICE_CODE = 'urn:ietf:params:oauth:grant-type:device_code';
const PEOPLE_ONLY_FIELDS = [
  'redirectUris',
  'postLogoutRedirectUris',
  'allowedOrigins',
  'connections',
  'logoUri',
  'firstParty',
  'requirePushedAuthorizationRequests',
] as const satisfies readonly (keyof PeopleRuleInput)[];
const signsPeopleIn = (s: PeopleRuleInput) =>
  s.grantTypes.includes('authorization_code') || s.grantTypes.includes(DEVICE_CODE);
const webSchemeOnly = (uris: readonly string[] | undefined) =>
  (uris ?? []).every((u) => WEB_SCHEMES.some((p) => u.startsWith(p)));

/** The cross-field rules of the people sign-in fields, with the OAuthClient's other rules. */
export const peopleClientRules: CrossFieldRule<PeopleRuleInput>[] = [
  {
    cel: "!('authorization_code' in self.grantTypes) || has(self.redirectUris)",
    message: 'authorization_code needs at least one redirectUri (RFC 6749 §3.1.2)',
    field: 'redirectUris',
    holds: (s) => !s.grantTypes.includes('authorization_code') || (s.redirectUris ?? []).length > 0,
  },
  {
    cel: "!('authorization_code' in self.grantTypes) || self.appType != 'non_interactive'",
    message: 'authorization_code is for clients people use: appType must be web, spa or native',
    field: 'appType',
    holds: (s) => !s.grantTypes.includes('authorization_code') || s.appType !== 'non_interactive',
  },
  {
    cel: `!('${DEVICE_CODE}' in self.grantTypes) || self.appType in ['native', 'web']`,
    message:
      'the device grant (RFC 8628) is for a device people sign in on elsewhere: appType must be native or web (a browser app uses authorization_code)',
    field: 'appType',
    holds: (s) => !s.grantTypes.includes(DEVICE_CODE) || ['native', 'web'].includes(s.appType),
  },
  {
    cel: "!(self.appType in ['spa', 'native']) || self.tokenEndpointAuthMethod == 'none'",
    message:
      'spa and native clients cannot keep a secret (RFC 8252 §8.4): tokenEndpointAuthMethod must be none (PKCE protects their codes)',
    field: 'tokenEndpointAuthMethod',
    holds: (s) => !['spa', 'native'].includes(s.appType) || s.tokenEndpointAuthMethod === 'none',
  },
  {
    cel: "self.tokenEndpointAuthMethod != 'none' || self.appType in ['spa', 'native']",
    message:
      'tokenEndpointAuthMethod none (a public client) is only for appType spa and native: a web client keeps a secret on its server',
    field: 'tokenEndpointAuthMethod',
    holds: (s) => s.tokenEndpointAuthMethod !== 'none' || ['spa', 'native'].includes(s.appType),
  },
  {
    cel: `!('refresh_token' in self.grantTypes) || 'authorization_code' in self.grantTypes || '${DEVICE_CODE}' in self.grantTypes`,
    message:
      "refresh_token needs authorization_code or the device grant: a refresh token continues a person's sign-in",
    field: 'grantTypes',
    holds: (s) =>
      !s.grantTypes.includes('refresh_token') ||
      s.grantTypes.includes('authorization_code') ||
      s.grantTypes.includes(DEVICE_CODE),
  },
  {
    cel: `'authorization_code' in self.grantTypes || '${DEVICE_CODE}' in self.grantTypes || (${PEOPLE_ONLY_FIELDS.map((f) => `!has(self.${f})`).join(' && ')})`,
    message: `${PEOPLE_ONLY_FIELDS.slice(0, -1).join(', ')} and ${PEOPLE_ONLY_FIELDS.at(-1) as string} are only for clients that sign people in: add authorization_code or the device grant to grantTypes`,
    field: 'grantTypes',
    holds: (s) => signsPeopleIn(s) || PEOPLE_ONLY_FIELDS.every((f) => s[f] === undefined),
  },
  {
    cel: `!has(self.idToken) || 'authorization_code' in self.grantTypes || '${DEVICE_CODE}' in self.grantTypes`,
    message: 'idToken is only for clients that sign people in (authorization_code or the device grant)',
    field: 'idToken',
    holds: (s) => s.idToken === undefined || signsPeopleIn(s),
  },
  {
    cel: "!has(self.refreshToken) || 'refresh_token' in self.grantTypes",
    message: 'refreshToken is only for clients with the refresh_token grant type',
    field: 'refreshToken',
    holds: (s) => s.refreshToken === undefined || s.grantTypes.includes('refresh_token'),
  },
  {
    cel: "self.appType == 'native' || ((!has(self.redirectUris) || self.redirectUris.all(u, u.startsWith('https://') || u.startsWith('http://'))) && (!has(self.postLogoutRedirectUris) || self.postLogoutRedirectUris.all(u, u.startsWith('https://') || u.startsWith('http://'))))",
    message:
      'a private-use URI scheme (com.example.app:/cb, RFC 8252 §7.1) is only for appType native: other clients use https',
    field: 'redirectUris',
    holds: (s) =>
      s.appType === 'native' || (webSchemeOnly(s.redirectUris) && webSchemeOnly(s.postLogoutRedirectUris)),
  },
];
