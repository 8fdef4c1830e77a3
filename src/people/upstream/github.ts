import type { CompiledConnection, ConnectionSignIn } from '../../store/snapshot.ts';
import {
  authorizationUrl,
  codeFromCallback,
  endpointUrl,
  exchangeCode,
  pkcePair,
  scopeParameter,
} from './oauth-client.ts';
import { upstreamJson, type UpstreamDeps } from './upstream-http.ts';
import { UpstreamSignInError, type UpstreamIdentity, type UpstreamProvider } from './upstream.ts';
import { GITHUB_WEB } from './well-known.ts';
import { boundedGroups } from './claim-mapping.ts';

export { GITHUB_WEB };

/**
 * A `github` Connection: GitHub's OAuth web application flow with PKCE S256 and `state`, then the REST API for
 * who the person is, their primary email, and their organizations and teams as groups.
 * https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps
 */

/** `read:user` for the profile, `user:email` for private emails, `read:org` for private memberships and teams. */
export const GITHUB_SCOPES = ['read:user', 'user:email', 'read:org'] as const;
/** A person in more organizations or teams than this is cut off (10 pages of 100), not waited for. */
const MAX_PAGES = 10;
const PER_PAGE = 100;

/** Where a `github` Connection's browser redirect, code exchange and API calls go. */
export interface GithubEndpoints {
  authorize: string;
  token: string;
  /** `GET /user`; emails, organizations and teams are below it. */
  user: string;
}

/**
 * GitHub's documented endpoints under `baseUrl` (github.com unless the Connection names a GitHub Enterprise
 * host): the API is `https://api.github.com` for github.com and `<baseUrl>/api/v3` for Enterprise Server. The
 * Connection's `authorizationUrl`, `tokenUrl` and `profileUrl` (the `/user` URL) override them.
 */
export function githubEndpoints(signIn: ConnectionSignIn): GithubEndpoints {
  const base = (signIn.baseUrl ?? GITHUB_WEB).replace(/\/+$/, '');
  const api = base === GITHUB_WEB ? 'https://api.github.com' : `${base}/api/v3`;
  return {
    authorize: signIn.authorizationUrl ?? `${base}/login/oauth/authorize`,
    token: signIn.tokenUrl ?? `${base}/login/oauth/access_token`,
    user: (signIn.profileUrl ?? `${api}/user`).replace(/\/+$/, ''),
  };
}

/**
 * The `github` provider.
 *
 * @example
 * const github = githubProvider({ now: systemClock });
 * const { url, codeVerifier } = await github.begin(connection, callbackUrl, state);
 */
export function githubProvider(deps: UpstreamDeps): UpstreamProvider {
  return {
    begin(connection, callbackUrl, state) {
      const { codeVerifier, codeChallenge } = pkcePair();
      const url = authorizationUrl(githubEndpoints(connection.signIn).authorize, {
        client_id: clientIdOf(connection.signIn),
        redirect_uri: callbackUrl,
        scope: scopeParameter(GITHUB_SCOPES, connection.signIn.scopes),
        state,
        code_challenge: codeChallenge,
        code_challenge_method: 'S256',
      });
      return Promise.resolve({ url, codeVerifier });
    },

    async finish(connection, callbackUrl, callback, pending) {
      const { signIn } = connection;
      const endpoints = githubEndpoints(signIn);
      const code = codeFromCallback(callback);
      const client = {
        clientId: clientIdOf(signIn),
        ...(signIn.clientSecret === undefined ? {} : { clientSecret: signIn.clientSecret }),
        // GitHub's documentation sends the client id and secret as parameters.
        secretIn: 'post' as const,
      };
      const grant = { code, redirectUri: callbackUrl, codeVerifier: pending.codeVerifier };
      const { access_token: token } = await exchangeCode(
        endpointUrl(endpoints.token, 'token endpoint'),
        client,
        grant,
        deps,
      );
      const get = (path: string) =>
        githubGet(endpointUrl(`${endpoints.user}${path}`, 'user API'), token, deps);
      const list = (path: string) => githubList(`${endpoints.user}${path}`, token, deps);
      const [user, emails, orgs, teams] = await Promise.all([
        get(''),
        list('/emails'),
        list('/orgs'),
        list('/teams'),
      ]);
      return githubIdentity(connection, { user, emails, orgs, teams });
    },
  };
}

/** What the GitHub API said, as parsed JSON. */
export interface GithubAnswers {
  user: unknown;
  emails: unknown[];
  orgs: unknown[];
  teams: unknown[];
}

/**
 * The person from GitHub's answers: the subject is the numeric `id` (a `login` can be renamed and then taken by
 * someone else), the email the primary one with its `verified` flag, and the groups `org` and `org/team-slug`.
 *
 * @throws {UpstreamSignInError} `claims_invalid` without a numeric id; `organization_not_allowed` outside
 *   the Connection's `allowedOrganizations`
 */
export function githubIdentity(
  connection: Pick<CompiledConnection, 'namespace' | 'name'> & { signIn: ConnectionSignIn },
  answers: GithubAnswers,
): UpstreamIdentity {
  const user = asRecord(answers.user);
  if (!Number.isSafeInteger(user.id) || (user.id as number) <= 0) {
    throw new UpstreamSignInError('claims_invalid', 'GitHub did not say which account signed in.');
  }
  const organizations = answers.orgs.map((o) => asRecord(o).login).filter(isName);
  const teams = answers.teams.flatMap((t) => {
    const { slug, organization } = asRecord(t);
    const org = asRecord(organization).login;
    return isName(slug) && isName(org) ? [`${org}/${slug}`] : [];
  });
  if (!organizationAllowed(organizations, connection.signIn.allowedOrganizations)) {
    throw new UpstreamSignInError(
      'organization_not_allowed',
      'Your GitHub account is not a member of an organization allowed to sign in here (or that organization ' +
        'has not approved this application).',
    );
  }
  const primary = answers.emails.map(asRecord).find((e) => e.primary === true && isName(e.email));
  return {
    connection: `${connection.namespace}/${connection.name}`,
    subject: String(user.id),
    ...(primary === undefined ? {} : { email: primary.email as string }),
    emailVerified: primary?.verified === true,
    ...(isName(user.name) ? { name: user.name } : {}),
    ...(isName(user.login) ? { username: user.login } : {}),
    groups: boundedGroups([...organizations, ...teams]),
    amr: ['fed'],
  };
}

/** Whether one of the person's organizations is allowed; GitHub logins are not case-sensitive. */
export function organizationAllowed(organizations: readonly string[], allowed: readonly string[]): boolean {
  if (allowed.length === 0) return true;
  const wanted = new Set(allowed.map((o) => o.toLowerCase()));
  return organizations.some((o) => wanted.has(o.toLowerCase()));
}

async function githubGet(url: URL, token: string, deps: UpstreamDeps): Promise<unknown> {
  const answer = await upstreamJson(
    url,
    {
      method: 'GET',
      // https://docs.github.com/en/rest/using-the-rest-api/getting-started-with-the-rest-api: a User-Agent is
      // required, and the media type and version pin the response shapes.
      headers: {
        accept: 'application/vnd.github+json',
        authorization: `Bearer ${token}`,
        'user-agent': 'Latchkey',
        'x-github-api-version': '2022-11-28',
      },
    },
    'the GitHub API',
    deps,
  );
  if (answer.status !== 200) {
    throw new UpstreamSignInError(
      'profile_failed',
      `GitHub did not describe your account (GET ${url.pathname} answered ${answer.status}).`,
    );
  }
  return answer.json;
}

/** A list endpoint, page by page (`per_page`, `page`) until a short page. */
async function githubList(url: string, token: string, deps: UpstreamDeps): Promise<unknown[]> {
  const items: unknown[] = [];
  for (let page = 1; page <= MAX_PAGES; page++) {
    const at = endpointUrl(url, 'user API');
    at.searchParams.set('per_page', String(PER_PAGE));
    at.searchParams.set('page', String(page));
    const json = await githubGet(at, token, deps);
    if (!Array.isArray(json)) {
      throw new UpstreamSignInError(
        'profile_failed',
        `GitHub answered GET ${at.pathname} with something not a list.`,
      );
    }
    items.push(...(json as unknown[]));
    if (json.length < PER_PAGE) break;
  }
  return items;
}

function clientIdOf(signIn: ConnectionSignIn): string {
  if (signIn.clientId === undefined) {
    throw new UpstreamSignInError(
      'connection_incomplete',
      'This sign-in method is not set up completely: it names no client id.',
    );
  }
  return signIn.clientId;
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function isName(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}
