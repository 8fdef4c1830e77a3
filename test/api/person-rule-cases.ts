import { FORMAT, type SpecCase } from './people-spec-cases.ts';

/**
 * Organizations and Roles for people (issue 13): Role `subjects`, Organization `members` and ResourceServer
 * `people`, as the shared table of test/api/people-spec-cases.ts writes them. The unit test holds the zod schema
 * to it and the integration test the API server's CRD.
 */

const SSO = { name: 'corp-sso', namespace: 'platform' };
const USER_ID = `usr_${'Ab3_-'.repeat(8)}Ab3`;
const PERMISSIONS = [{ resourceServer: { name: 'payments-api' }, scopes: ['payments:read'] }];
const EITHER = 'a rule names either a connection (optionally with group or emailDomain) or a userId';
const NARROW = 'group and emailDomain narrow a connection: name the connection they belong to';
const NOT_BOTH = 'a rule has group or emailDomain, not both: write two rules';

const role = (name: string, subjects: unknown[], problems: string[] = []): SpecCase => ({
  name,
  kind: 'Role',
  spec: { permissions: PERMISSIONS, subjects },
  problems,
});
const organization = (name: string, members: unknown[], problems: string[] = []): SpecCase => ({
  name,
  kind: 'Organization',
  spec: { connections: [SSO], members },
  problems,
});
const api = (name: string, people: unknown, problems: string[] = []): SpecCase => ({
  name,
  kind: 'ResourceServer',
  spec: { identifier: 'https://payments.internal', scopes: [{ name: 'payments:read' }], people },
  problems,
});

export const PERSON_RULE_CASES: SpecCase[] = [
  role('subjects by Connection, group, email domain and user id', [
    { connection: SSO },
    { connection: SSO, group: 'payments-oncall' },
    { connection: { name: 'corp-sso' }, emailDomain: 'example.co.uk' },
    { userId: USER_ID },
  ]),
  role(
    'a subject with neither a Connection nor a user id',
    [{ group: 'admins' }],
    [`subjects.0.connection: ${EITHER}`, `subjects.0.connection: ${NARROW}`],
  ),
  role(
    'a subject with a Connection and a user id',
    [{ connection: SSO, userId: USER_ID }],
    [`subjects.0.connection: ${EITHER}`],
  ),
  role(
    'a subject with a group and an email domain',
    [{ connection: SSO, group: 'g', emailDomain: 'example.com' }],
    [`subjects.0.emailDomain: ${NOT_BOTH}`],
  ),
  role(
    'an email domain with an @',
    [{ connection: SSO, emailDomain: '@example.com' }],
    [`subjects.0.emailDomain: ${FORMAT}`],
  ),
  role(
    'an email domain in capitals',
    [{ connection: SSO, emailDomain: 'Example.com' }],
    [`subjects.0.emailDomain: ${FORMAT}`],
  ),
  role('a user id that is not one of Latchkey', [{ userId: 'alice' }], [`subjects.0.userId: ${FORMAT}`]),
  role(
    '65 subjects',
    Array.from({ length: 65 }, (_, i) => ({ connection: SSO, group: `g${i}` })),
    [`subjects: ${FORMAT}`],
  ),
  organization('members with roles', [
    { connection: { name: 'corp-sso' }, emailDomain: 'acme.com' },
    {
      connection: { name: 'corp-sso' },
      group: 'acme-admins',
      roles: [{ name: 'admin', namespace: 'payments' }],
    },
  ]),
  organization(
    'a member rule with a user id and a group',
    [{ userId: USER_ID, group: 'g' }],
    [`members.0.connection: ${NARROW}`],
  ),
  organization(
    'a member rule with a group and an email domain',
    [{ connection: SSO, group: 'g', emailDomain: 'acme.com' }],
    [`members.0.emailDomain: ${NOT_BOTH}`],
  ),
  api('people claims and RBAC enforcement', { claims: ['permissions', 'groups'], enforceRoles: true }),
  api('an unknown people claim', { claims: ['roles'] }, [`people.claims.0: ${FORMAT}`]),
];
