import { describe, expect, it } from 'vitest';
import { decideOrganization, signInConnectionKeys } from '../../src/people/membership/organization.ts';
import {
  matchesRule,
  personPermissions,
  signInFacts,
  type RulePerson,
} from '../../src/people/membership/rules.ts';
import { limitToRoles, personApiClaims } from '../../src/people/tokens/person-claims.ts';
import type {
  ClientOrganization,
  CompiledApi,
  CompiledOrganization,
  PeopleGrant,
  PersonRule,
} from '../../src/store/snapshot.ts';
import { api, grant } from '../http/world.ts';

// Issue 13, Organizations and Roles for people: the pure decisions, table by table.

const SSO = 'platform/corp-sso';
const alice: RulePerson = {
  userId: 'usr_alice',
  facts: { connection: SSO, groups: ['acme-staff'], verifiedEmail: 'Alice@Example.COM' },
};

describe('matchesRule', () => {
  const cases: [string, PersonRule, RulePerson, boolean][] = [
    ['the Connection alone names everyone through it', { connection: SSO }, alice, true],
    ['another Connection names no one of this one', { connection: 'platform/other' }, alice, false],
    ['a group she has', { connection: SSO, group: 'acme-staff' }, alice, true],
    ['a group compared exactly', { connection: SSO, group: 'Acme-Staff' }, alice, false],
    ['a group of another Connection', { connection: 'platform/other', group: 'acme-staff' }, alice, false],
    ['her email domain, case-insensitively', { connection: SSO, emailDomain: 'example.com' }, alice, true],
    ['not a parent domain', { connection: SSO, emailDomain: 'com' }, alice, false],
    [
      'not a subdomain',
      { connection: SSO, emailDomain: 'example.com' },
      { ...alice, facts: { ...alice.facts, verifiedEmail: 'a@eu.example.com' } },
      false,
    ],
    [
      'not an unverified email (none is recorded)',
      { connection: SSO, emailDomain: 'example.com' },
      { ...alice, facts: { connection: SSO, groups: [] } },
      false,
    ],
    [
      'not a domain hidden before another @',
      { connection: SSO, emailDomain: 'example.com' },
      { ...alice, facts: { ...alice.facts, verifiedEmail: '"a@example.com"@evil.test' } },
      false,
    ],
    ['her user id', { userId: 'usr_alice' }, alice, true],
    ['another user id', { userId: 'usr_bob' }, alice, false],
  ];
  it.each(cases)('%s', (_, rule, person, expected) => {
    expect(matchesRule(rule, person)).toBe(expected);
  });

  it('records a verified email only: an unverified one can never match a domain', () => {
    const identity = { groups: ['g'], email: 'a@example.com' };
    expect(signInFacts(SSO, { ...identity, emailVerified: false })).toEqual({
      connection: SSO,
      groups: ['g'],
    });
    expect(signInFacts(SSO, { ...identity, emailVerified: true }).verifiedEmail).toBe('a@example.com');
  });
});

const payments = api('payments-api', 'RS256', ['read', 'write', 'refund']);

function org(name: string, members: PeopleGrant[], connections = [SSO]): CompiledOrganization {
  return { id: `org_${name}`, name, namespace: 'orgs', connections, members };
}
function membership(o: CompiledOrganization): ClientOrganization {
  return { organization: o, permissions: new Map([[payments.identifier, grant(payments)]]) };
}
function people(rules: PersonRule[], scopes: string[] = []): PeopleGrant {
  return { rules, permissions: new Map([[payments.identifier, new Set(scopes)]]), source: 'test' };
}

const acme = membership(org('acme', [people([{ connection: SSO, group: 'acme-staff' }], ['read'])]));
const globex = membership(org('globex', [people([{ connection: SSO }])]));
const initech = membership(org('initech', [people([{ userId: 'usr_bob' }])], []));
const organizations = new Map([acme, globex, initech].map((m) => [m.organization.id, m]));

describe('decideOrganization', () => {
  const client = (usage: 'deny' | 'allow' | 'require', only?: ClientOrganization[]) => ({
    organizationUsage: usage,
    organizations: only === undefined ? organizations : new Map(only.map((m) => [m.organization.id, m])),
  });
  const cases: [string, string | undefined, ReturnType<typeof client>, string][] = [
    ['asked, and a member', 'org_acme', client('allow'), 'member org_acme'],
    [
      'asked, not a member',
      'org_initech',
      client('allow'),
      "refuse the person is not a member of organization 'initech'",
    ],
    [
      'asked, no longer listing the client',
      'org_gone',
      client('allow'),
      'refuse the organization no longer lists this client',
    ],
    [
      'asked, and the client now denies organizations',
      'org_acme',
      client('deny'),
      'refuse the organization no longer lists this client',
    ],
    ['not asked, the client allows: none', undefined, client('allow'), 'none'],
    [
      'not asked, the client requires, several: choose',
      undefined,
      client('require'),
      'choose org_acme,org_globex',
    ],
    [
      'not asked, the client requires, one: that one',
      undefined,
      client('require', [acme, initech]),
      'member org_acme',
    ],
    [
      'not asked, the client requires, none',
      undefined,
      client('require', [initech]),
      'refuse the person is not a member of any organization of this client',
    ],
  ];
  it.each(cases)('%s', (_, asked, c, expected) => {
    const outcome = decideOrganization(asked, c, alice);
    const shown =
      outcome.kind === 'member'
        ? `member ${outcome.membership.organization.id}`
        : outcome.kind === 'choose'
          ? `choose ${outcome.choices.map((m) => m.organization.id).join(',')}`
          : outcome.kind === 'refuse'
            ? `refuse ${outcome.reason}`
            : 'none';
    expect(shown).toBe(expected);
  });
});

describe('signInConnectionKeys', () => {
  const client = { organizations, people: { connections: ['platform/other', SSO] } };
  it.each([
    ['no organization: the client’s Connections', undefined, ['platform/other', SSO]],
    ['an organization: those it enables too, in the client’s order', 'org_acme', [SSO]],
    ['an organization enabling none: none', 'org_initech', []],
    ['an organization that is gone: none', 'org_gone', []],
  ] as const)('%s', (_, id, expected) => {
    expect(signInConnectionKeys(client, id)).toEqual(expected);
  });
});

describe('personPermissions, limitToRoles and personApiClaims', () => {
  const admins = people([{ connection: SSO, group: 'admins' }], ['write', 'read']);
  const everyone = people([{ connection: SSO }], ['read']);
  it('unites the Roles naming the person and, in an organization, its member rules, in API order', () => {
    const admin: RulePerson = { ...alice, facts: { ...alice.facts, groups: ['admins', 'acme-staff'] } };
    expect(personPermissions([admins], undefined, admin, payments)).toEqual(['read', 'write']);
    expect(personPermissions([everyone], acme, alice, payments)).toEqual(['read']);
    expect(personPermissions([admins], undefined, alice, payments)).toEqual([]);
    const other = api('other-api', 'RS256', ['read']);
    expect(personPermissions([everyone], acme, alice, other)).toEqual([]);
  });

  const enforced: CompiledApi = {
    ...payments,
    people: { permissionsClaim: true, groupsClaim: true, enforceRoles: true },
  };
  it.each([
    ['enforced: API scopes the Roles give, OpenID scopes kept', enforced, ['read'], ['openid', 'read']],
    ['enforced, no Role: OpenID scopes only', enforced, [], ['openid']],
    ['not enforced: as asked', payments, [], ['openid', 'read', 'write']],
  ] as const)('limitToRoles, %s', (_, target, roles, expected) => {
    const limited = limitToRoles({ api: grant(target), scopes: ['openid', 'read', 'write'] }, roles);
    expect(limited.scopes).toEqual(expected);
  });

  it('personApiClaims adds the organization always, permissions and groups when the API asks', () => {
    const person = { rolePermissions: ['read'], groups: ['g'] };
    const o = acme.organization;
    expect(personApiClaims(enforced, o, person)).toEqual({
      org_id: 'org_acme',
      org_name: 'acme',
      permissions: ['read'],
      groups: ['g'],
    });
    expect(personApiClaims(payments, undefined, person)).toEqual({});
    expect(personApiClaims(undefined, o, person)).toEqual({ org_id: 'org_acme', org_name: 'acme' });
  });
});
