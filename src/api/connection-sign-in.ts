/**
 * The fields of a Connection that people sign in through (issue 12), named after authentik's OAuth sources
 * where it has one: the upstream's endpoints, claim mapping, account matching, and the per-type settings of
 * `github`, `google` and `test`.
 */
import { z } from 'zod';
import type { CrossFieldRule } from './common.ts';

/** The issuer of a `google` Connection (Google's OpenID Connect discovery, accounts.google.com). */
export const GOOGLE_ISSUER = 'https://accounts.google.com';
/** The web base of a `github` Connection without `baseUrl`. */
export const GITHUB_BASE_URL = 'https://github.com';
/** Most people one `test` Connection may declare. */
export const MAX_TEST_USERS = 50;

/** Types people sign in through, and those that talk to an upstream with Latchkey's client id there. */
export const SIGN_IN_TYPES = ['oidc', 'github', 'google', 'test'] as const;
export const UPSTREAM_TYPES = ['oidc', 'github', 'google'] as const;

/**
 * An upstream endpoint: https, or http to a loopback host only (a local stand-in), so a browser or Latchkey
 * never sends a code or a client secret in the clear across a network (RFC 6749 §3.1, §10.9).
 */
export const UPSTREAM_URL =
  /^(https:\/\/([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])|http:\/\/(localhost|127\.0\.0\.1|\[::1\]))(:[0-9]{1,5})?(\/[^\s#]*)?$/;

const upstreamUrl = (description: string) =>
  z.string().max(2048).regex(UPSTREAM_URL).optional().meta({ description });

const claimName = (fallback: string | undefined, description: string) => {
  const name = z.string().min(1).max(256);
  return (fallback === undefined ? name.optional() : name.default(fallback)).meta({ description });
};

const claimMapping = z
  .object({
    userId: claimName(
      'sub',
      "The claim that identifies the person at the upstream, what their identity is keyed by: never a claim the person can change, such as email (the Entra 'nOAuth' takeover). Default `sub`.",
    ),
    email: claimName('email', 'The claim holding the email address. Default `email`.'),
    emailVerified: claimName(
      'email_verified',
      'The claim saying the upstream verified the email address (OpenID Connect Core §5.1). Default `email_verified`.',
    ),
    name: claimName('name', 'The claim holding the full name. Default `name`.'),
    username: claimName(
      'preferred_username',
      'The claim holding the username. Default `preferred_username`.',
    ),
    groups: claimName(
      undefined,
      'A dotted path to the groups, an array of strings or one string (`groups`, `realm_access.roles`). Without it, people get no groups from this Connection.',
    ),
  })
  .optional()
  .meta({
    description:
      'Where the claims of the upstream ID token and userinfo (OpenID Connect Core §5.1) are found, for `oidc` and `google`.',
  });

// No defaults inside list items: a second field manager would conflict on them (server-side apply).
const testUser = z
  .object({
    username: z
      .string()
      .max(64)
      .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/)
      .meta({ description: 'The name typed on the login page; the identity is keyed by it.' }),
    password: z.string().min(1).max(256).meta({
      description:
        'THE PASSWORD IS IN PLAIN TEXT IN YOUR MANIFESTS AND GIT: TEST DATA ONLY, never a password anyone uses anywhere. Latchkey keeps only its SHA-256 digest in memory.',
    }),
    email: z.string().max(254).optional().meta({ description: 'Email address.' }),
    emailVerified: z
      .boolean()
      .optional()
      .meta({ description: 'Whether the email address counts as verified. Default true.' }),
    name: z.string().max(200).optional().meta({ description: 'Full name.' }),
    groups: z
      .array(z.string().min(1).max(256))
      .max(32)
      .optional()
      .meta({ description: 'Groups the person is in; default none.' }),
  })
  .meta({ description: 'A person of a `test` Connection.' });

/** The spec fields of a Connection that people sign in through. */
export const signInFields = {
  authorizationUrl: upstreamUrl(
    "The upstream's authorization endpoint (RFC 6749 §3.1), overriding discovery (`oidc`, `google`) or GitHub's `<baseUrl>/login/oauth/authorize`.",
  ),
  tokenUrl: upstreamUrl(
    "The upstream's token endpoint (RFC 6749 §3.2), overriding discovery or GitHub's `<baseUrl>/login/oauth/access_token`.",
  ),
  profileUrl: upstreamUrl(
    "Where the person's profile is read: the userinfo endpoint (OpenID Connect Core §5.3), overriding discovery, or GitHub's user API (`https://api.github.com/user`, `<baseUrl>/api/v3/user` for GitHub Enterprise).",
  ),
  claimMapping,
  userMatchingMode: z
    .enum(['identifier', 'email_link', 'email_deny', 'username_link', 'username_deny'])
    .optional()
    .meta({
      description:
        "What happens when someone signs in through this Connection for the first time and a user with the same email or username exists (authentik's user matching modes). `identifier` (the default): a new user; identities are linked by the upstream subject only. `email_link`: link to the user with that email, only when the upstream says it is verified, `trustEmail` is set, and the person confirms. `email_deny`: refuse the sign-in. `username_link`, `username_deny`: the same by username. Several matching users are always refused.",
    }),
  trustEmail: z.boolean().optional().meta({
    description:
      "Whether this upstream's verified email addresses may link accounts (`userMatchingMode: email_link`). Default false: set it only for an upstream that owns the domains of its addresses, or anyone who can register an address there could take over an account.",
  }),
  hostedDomains: z
    .array(z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/))
    .min(1)
    .max(16)
    .optional()
    .meta({
      description:
        "`google` only: the Google Workspace domains whose people may sign in, checked against the ID token's `hd` claim. Without it, any Google account may.",
      'x-kubernetes-list-type': 'set',
    }),
  baseUrl: upstreamUrl(
    '`github` only: the web address of GitHub Enterprise Server (`https://github.example.com`); default `https://github.com`. The API is found under it.',
  ),
  allowedOrganizations: z
    .array(z.string().regex(/^[A-Za-z0-9]([A-Za-z0-9-]{0,38})$/))
    .min(1)
    .max(32)
    .optional()
    .meta({
      description:
        '`github` only: only members of these organizations may sign in (read with the `read:org` scope). Without it, any GitHub account may.',
      'x-kubernetes-list-type': 'set',
    }),
  testUsers: z
    .array(testUser)
    .min(1)
    .max(MAX_TEST_USERS)
    // The API server keeps usernames unique as list-map keys; a CEL rule comparing pairs costs too much.
    .refine((users) => new Set(users.map((u) => u.username)).size === users.length, {
      message: 'each of testUsers needs a username of its own',
    })
    .optional()
    .meta({
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['username'],
      description: `\`test\` only: the people who may sign in, at most ${MAX_TEST_USERS}. Their passwords are written here in plain text, so this is for trying sign-in with \`latchkey dev\` only: the operator refuses a \`test\` Connection (\`TestConnectionNotAllowed\`).`,
    }),
};

/** What the rules below read of a Connection spec. */
interface SignInRuleInput {
  type: string;
  clientId?: string | undefined;
  clientSecretRef?: unknown;
  scopes?: unknown;
  authorizationUrl?: string | undefined;
  tokenUrl?: string | undefined;
  profileUrl?: string | undefined;
  claimMapping?: unknown;
  userMatchingMode?: string | undefined;
  trustEmail?: boolean | undefined;
  hostedDomains?: unknown;
  baseUrl?: string | undefined;
  allowedOrganizations?: unknown;
  testUsers?: readonly { username: string }[] | undefined;
  issuer?: string | undefined;
}

const only = (type: string, fields: readonly (keyof SignInRuleInput)[]): CrossFieldRule<SignInRuleInput> => ({
  cel: `self.type == '${type}' || (${fields.map((f) => `!has(self.${f})`).join(' && ')})`,
  message: `${fields.join(', ')}: only for a Connection of type ${type}`,
  field: fields[0] as string,
  holds: (s) => s.type === type || fields.every((f) => s[f] === undefined),
});

/** The cross-field rules of the sign-in fields, with the Connection's other rules. */
export const signInRules: CrossFieldRule<SignInRuleInput>[] = [
  {
    cel: "!(self.type in ['github', 'google']) || has(self.clientId)",
    message: "a Connection of type github or google needs spec.clientId: Latchkey's client id there",
    field: 'clientId',
    holds: (s) => !['github', 'google'].includes(s.type) || s.clientId !== undefined,
  },
  {
    cel: "self.type in ['oidc', 'github', 'google'] || (!has(self.clientId) && !has(self.scopes) && !has(self.authorizationUrl) && !has(self.tokenUrl) && !has(self.profileUrl))",
    message:
      'clientId, scopes, authorizationUrl, tokenUrl and profileUrl are only for Connections of type oidc, github and google',
    field: 'type',
    holds: (s) =>
      (UPSTREAM_TYPES as readonly string[]).includes(s.type) ||
      [s.clientId, s.scopes, s.authorizationUrl, s.tokenUrl, s.profileUrl].every((v) => v === undefined),
  },
  {
    cel: "self.type != 'kubernetes' || (!has(self.userMatchingMode) && !has(self.trustEmail))",
    message: 'userMatchingMode and trustEmail are for Connections people sign in through, not kubernetes',
    field: 'type',
    holds: (s) => s.type !== 'kubernetes' || (s.userMatchingMode === undefined && s.trustEmail === undefined),
  },
  {
    cel: "self.type in ['oidc', 'google'] || !has(self.claimMapping)",
    message: 'claimMapping is only for Connections of type oidc and google',
    field: 'claimMapping',
    holds: (s) => ['oidc', 'google'].includes(s.type) || s.claimMapping === undefined,
  },
  {
    cel: "self.type in ['oidc', 'kubernetes'] || !has(self.issuer)",
    message: `issuer is only for Connections of type oidc and kubernetes: google's is ${GOOGLE_ISSUER}`,
    field: 'issuer',
    holds: (s) => ['oidc', 'kubernetes'].includes(s.type) || s.issuer === undefined,
  },
  only('google', ['hostedDomains']),
  only('github', ['baseUrl', 'allowedOrganizations']),
  only('test', ['testUsers']),
  {
    cel: "self.type != 'test' || has(self.testUsers)",
    message: 'a Connection of type test needs spec.testUsers',
    field: 'testUsers',
    holds: (s) => s.type !== 'test' || s.testUsers !== undefined,
  },
];
