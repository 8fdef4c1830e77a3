import type { SigningKeys } from '../../src/keys/signing-keys.ts';
import { compile } from '../../src/store/compile.ts';
import type { DeclaredObject } from '../../src/store/objects.ts';
import { organizationId } from '../../src/store/names.ts';
import { declare, secret, world } from '../store/world.ts';
import { pkce } from './authorize-support.ts';
import type { PeopleHarness } from './harness.ts';
import { Browser, formOf } from './login-browser.ts';

/**
 * Organizations and Roles for people (issue 13), compiled from manifests as dev mode and the operator compile
 * them: a `test` Connection in `people` with four people, the payments API owned by `payments` (RBAC enforced,
 * `permissions` and `groups` in its tokens), a Role there naming the `admins` group, and two Organizations.
 *
 * | person | groups | verified email | acme | globex |
 * |---|---|---|---|---|
 * | alice | admins | alice@example.com | member (email domain) | no |
 * | bob | — | bob@partner.example | no | no |
 * | carol | acme-staff, globex-staff | carol@contractor.example | member (group, payments-reader) | member |
 * | dave | acme-staff | dave@example.com, not verified | member (group) | no |
 */

export const PASSWORDS = {
  alice: 'alice-password-1',
  bob: 'bob-password-2',
  carol: 'carol-password-3',
  dave: 'dave-password-4',
} as const;
export type Person = keyof typeof PASSWORDS;

export const WEB_SECRET = 'web-secret-'.padEnd(43, 'w');
export const PORTAL_SECRET = 'portal-secret-'.padEnd(43, 'p');
export const PAYMENTS = 'https://payments.internal';
export const ACME = organizationId('people', 'acme');
export const GLOBEX = organizationId('people', 'globex');

const testPeople = (allowed = true) =>
  declare.connection('people', 'test-people', {
    type: 'test',
    testUsers: [
      {
        username: 'alice',
        password: PASSWORDS.alice,
        email: 'alice@example.com',
        groups: ['admins'],
      },
      { username: 'bob', password: PASSWORDS.bob, email: 'bob@partner.example' },
      {
        username: 'carol',
        password: PASSWORDS.carol,
        email: 'carol@contractor.example',
        groups: ['acme-staff', 'globex-staff'],
      },
      {
        username: 'dave',
        password: PASSWORDS.dave,
        email: 'dave@example.com',
        emailVerified: false,
        groups: ['acme-staff'],
      },
    ],
    ...(allowed ? { allowedNamespaces: {} } : {}),
  });

const paymentsApi = declare.api('payments', 'payments-api', {
  identifier: PAYMENTS,
  scopes: [{ name: 'payments:read' }, { name: 'payments:write' }, { name: 'payments:refund' }],
  people: { claims: ['permissions', 'groups'], enforceRoles: true },
  allowedNamespaces: {},
});

const client = (name: string, usage: 'allow' | 'require', redirect: string, other = false) =>
  declare.client('people', name, {
    displayName: name === 'portal' ? 'Customer portal' : 'Web app',
    appType: 'web',
    grantTypes: ['authorization_code', 'refresh_token'],
    redirectUris: [redirect],
    connections: [{ name: 'test-people' }, ...(other ? [{ name: 'other-people' }] : [])],
    grants: [
      {
        resourceServer: { name: 'payments-api', namespace: 'payments' },
        scopes: ['payments:read', 'payments:write', 'payments:refund'],
      },
    ],
    organizationUsage: usage,
    firstParty: true,
    allowedNamespaces: {},
  });

/** What the world is made of; tests replace parts (`acmeMembers`) to change the rules. */
export interface OrganizationsWorldOptions {
  acmeMembers?: unknown[];
  globexMembers?: unknown[];
  /** Whether the test Connection lets other namespaces (`payments`) reference it. */
  connectionAllowsOthers?: boolean;
  /** A second test Connection, `other-people`, that the web app offers and no Organization enables. */
  otherConnection?: boolean;
}

export const ACME_MEMBERS: unknown[] = [
  {
    connection: { name: 'test-people' },
    group: 'acme-staff',
    roles: [{ name: 'payments-reader', namespace: 'payments' }],
  },
  { connection: { name: 'test-people' }, emailDomain: 'example.com' },
];

export function organizationsObjects(options: OrganizationsWorldOptions = {}): DeclaredObject[] {
  return [
    testPeople(options.connectionAllowsOthers ?? true),
    paymentsApi,
    declare.role('payments', 'payments-admin', {
      permissions: [
        {
          resourceServer: { name: 'payments-api' },
          scopes: ['payments:read', 'payments:write', 'payments:refund'],
        },
      ],
      subjects: [{ connection: { name: 'test-people', namespace: 'people' }, group: 'admins' }],
    }),
    declare.role('payments', 'payments-reader', {
      permissions: [{ resourceServer: { name: 'payments-api' }, scopes: ['payments:read'] }],
      allowedNamespaces: {},
    }),
    ...(options.otherConnection === true
      ? [
          declare.connection('people', 'other-people', {
            type: 'test',
            displayName: 'Other people',
            testUsers: [{ username: 'erin', password: 'erin-password-5' }],
          }),
        ]
      : []),
    client('web-app', 'allow', 'https://app.example.com/callback', options.otherConnection === true),
    client('portal', 'require', 'https://portal.example.com/callback'),
    declare.client('people', 'device-cli', {
      appType: 'native',
      grantTypes: ['urn:ietf:params:oauth:grant-type:device_code'],
      tokenEndpointAuthMethod: 'none',
      connections: [{ name: 'test-people' }],
      grants: [
        { resourceServer: { name: 'payments-api', namespace: 'payments' }, scopes: ['payments:read'] },
      ],
      organizationUsage: 'allow',
    }),
    declare.org('people', 'acme', {
      displayName: 'Acme Corp',
      clients: [
        { client: { name: 'web-app' } },
        { client: { name: 'portal' } },
        { client: { name: 'device-cli' } },
      ],
      connections: [{ name: 'test-people' }],
      members: options.acmeMembers ?? ACME_MEMBERS,
    }),
    declare.org('people', 'globex', {
      displayName: 'Globex',
      clients: [{ client: { name: 'portal' } }],
      connections: [{ name: 'test-people' }],
      members: options.globexMembers ?? [{ connection: { name: 'test-people' }, group: 'globex-staff' }],
    }),
  ];
}

/** Compiles the world and serves it from the harness. */
export function serveOrganizationsWorld(
  h: Pick<PeopleHarness, 'source' | 'keys'>,
  options: OrganizationsWorldOptions = {},
): ReturnType<typeof compile> {
  const c = compileOrganizationsWorld(h.keys, options);
  h.source.snapshot = c.snapshot;
  return c;
}

export function compileOrganizationsWorld(keys: SigningKeys, options: OrganizationsWorldOptions = {}) {
  const secrets = [
    secret('people', 'web-app-oauth', { client_secret: WEB_SECRET }),
    secret('people', 'portal-oauth', { client_secret: PORTAL_SECRET }),
  ];
  return compile({ ...world(organizationsObjects(options), secrets), allowTestConnections: true }, keys, 2);
}

/** The client ids compile gives the two clients (deterministic: `<name>.<namespace>`). */
export const WEB_APP = 'web-app.people';
export const PORTAL = 'portal.people';
export const DEVICE_CLI = 'device-cli.people';

/** An authorization request of `clientId`, with PKCE; `extra` adds parameters such as `organization`. */
export function organizationRequest(
  clientId: string,
  extra: Record<string, string> = {},
): { params: Record<string, string>; verifier: string } {
  const { verifier, challenge } = pkce();
  const redirect =
    clientId === PORTAL ? 'https://portal.example.com/callback' : 'https://app.example.com/callback';
  return {
    verifier,
    params: {
      client_id: clientId,
      redirect_uri: redirect,
      response_type: 'code',
      scope: 'openid profile payments:read payments:write',
      state: 'state-1',
      nonce: 'nonce-1',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      resource: PAYMENTS,
      ...extra,
    },
  };
}

/**
 * Follows an authorization request through the login page as `person` (the test Connection's password form), and
 * returns where it ended: a redirect to the client, or a page of the issuer (the organization choice).
 */
export async function signInThrough(
  h: Pick<PeopleHarness, 'issuer'>,
  browser: Browser,
  params: Record<string, string>,
  person: Person,
): Promise<Response> {
  const login = await browser.follow(
    await browser.get(`${h.issuer}/oauth2/authorize?${new URLSearchParams(params).toString()}`),
  );
  if (login.status !== 200) return login;
  const form = formOf(await login.text(), '/login/password');
  const signed = await browser.post(form.action, {
    ...form.fields,
    username: person,
    password: PASSWORDS[person],
  });
  return browser.follow(signed);
}

/**
 * Answers a device sign-in on the verification page as `person`: enters the code, signs in on the test
 * Connection's form and confirms (RFC 8628 §5.4), when the sign-in gets that far; a refused person never does.
 */
export async function confirmDevice(
  h: Pick<PeopleHarness, 'issuer'>,
  userCode: string,
  person: Person,
): Promise<void> {
  const b = new Browser(h);
  const page = await b.get('/device');
  const codeForm = formOf(await page.text(), '/device');
  const login = await b.follow(await b.post(codeForm.action, { ...codeForm.fields, user_code: userCode }));
  const form = formOf(await login.text(), '/login/password');
  const signed = await b.post(form.action, { ...form.fields, username: person, password: PASSWORDS[person] });
  const confirmation = await (await b.follow(signed)).text();
  if (!confirmation.includes('action="/consent"')) return;
  const consent = formOf(confirmation, '/consent');
  await b.post(consent.action, { ...consent.fields, decision: 'allow' });
}
