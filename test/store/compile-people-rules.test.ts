import { describe, expect, it } from 'vitest';
import type { DeclaredObject } from '../../src/store/objects.ts';
import { compiled, resolution } from './people-world.ts';
import { declare } from './world.ts';

// Issue 13: Role `subjects` and Organization `members` compiled, and every chain of references they open checked
// as the other references are (design.md, "Rules of the model").

const connection = (allowed: boolean) =>
  declare.connection('people', 'test-people', {
    type: 'test',
    testUsers: [{ username: 'alice', password: 'alice-password-1' }],
    ...(allowed ? { allowedNamespaces: {} } : {}),
  });
const api = (ns: string) =>
  declare.api(ns, 'payments-api', {
    identifier: `https://${ns}.internal`,
    scopes: [{ name: 'read' }],
    allowedNamespaces: {},
  });
const role = (ns: string, spec: object) =>
  declare.role(ns, 'reader', {
    permissions: [{ resourceServer: { name: 'payments-api', namespace: 'payments' }, scopes: ['read'] }],
    ...spec,
  });
const subjects = [{ connection: { name: 'test-people', namespace: 'people' }, group: 'staff' }];

function compile(objects: DeclaredObject[]) {
  return compiled(objects, { allowTestConnections: true }, []);
}

function problems(c: ReturnType<typeof compile>, key: string): string[] {
  return resolution(c, key)
    .conditions.filter((x) => x.type === 'ReferencesResolved' && x.status === 'False')
    .map((x) => x.message);
}

describe('Role spec.subjects', () => {
  it('names people of a Connection that lets the Role namespace reference it', () => {
    const c = compile([connection(true), api('payments'), role('payments', { subjects })]);
    expect(c.snapshot.peopleRoles).toEqual([
      {
        rules: [{ connection: 'people/test-people', group: 'staff' }],
        permissions: new Map([['https://payments.internal', new Set(['read'])]]),
        source: 'Role payments/reader',
      },
    ]);
  });

  it("refuses a Connection whose allowedNamespaces does not select the Role's namespace", () => {
    const c = compile([connection(false), api('payments'), role('payments', { subjects })]);
    expect(c.snapshot.peopleRoles).toEqual([]);
    expect(resolution(c, 'Role/payments/reader').conditions[0]).toMatchObject({
      type: 'Ready',
      status: 'False',
      reason: 'ReferenceNotAllowed',
    });
  });

  it('refuses a Connection people cannot sign in through', () => {
    const cluster = declare.connection('payments', 'cluster', { type: 'kubernetes' });
    const c = compile([
      cluster,
      api('payments'),
      role('payments', { subjects: [{ connection: { name: 'cluster' } }] }),
    ]);
    expect(c.snapshot.peopleRoles).toEqual([]);
    expect(problems(c, 'Role/payments/reader').join('\n')).toContain(
      'spec.subjects[0].connection: Connection payments/cluster does not sign people in, so the rule names no one',
    );
  });

  it("gives people nothing on another namespace's API, which still reaches the Role's clients", () => {
    const c = compile([connection(true), api('payments'), role('billing', { subjects })]);
    expect(c.snapshot.peopleRoles).toEqual([]);
    expect(problems(c, 'Role/billing/reader')).toEqual([
      "spec.subjects: people get no permissions on ResourceServer payments/payments-api through this Role, which is in namespace billing: only a Role in the ResourceServer's own namespace gives people its permissions",
    ]);
  });

  it('a user id needs no Connection', () => {
    const userId = `usr_${'A'.repeat(43)}`;
    const c = compile([api('payments'), role('payments', { subjects: [{ userId }] })]);
    expect(c.snapshot.peopleRoles[0]?.rules).toEqual([{ userId }]);
  });
});

describe('Organization spec.members', () => {
  const org = (spec: object) =>
    declare.org('people', 'acme', { connections: [{ name: 'test-people' }], ...spec });

  it("compiles the Organization's Connections and each rule with its roles' permissions", () => {
    const readerRole = role('payments', { allowedNamespaces: {} });
    const members = [
      { connection: { name: 'test-people' }, roles: [{ name: 'reader', namespace: 'payments' }] },
    ];
    const c = compile([connection(true), api('payments'), readerRole, org({ members })]);
    const acme = [...c.snapshot.organizations.values()][0];
    expect(acme?.connections).toEqual(['people/test-people']);
    expect(acme?.members).toEqual([
      {
        rules: [{ connection: 'people/test-people' }],
        permissions: new Map([['https://payments.internal', new Set(['read'])]]),
        source: 'Organization people/acme',
      },
    ]);
  });

  it('refuses a rule whose Connection is not one of spec.connections', () => {
    const members = [{ connection: { name: 'test-people' } }];
    const c = compile([connection(true), declare.org('people', 'acme', { members })]);
    expect([...c.snapshot.organizations.values()][0]?.members).toEqual([]);
    expect(problems(c, 'Organization/people/acme')).toEqual([
      'spec.members[0].connection: Connection people/test-people is not among spec.connections, so no one signs in to this organization through it',
    ]);
  });

  it("refuses a Role that does not let the Organization's namespace reference it", () => {
    const members = [
      { connection: { name: 'test-people' }, roles: [{ name: 'reader', namespace: 'payments' }] },
    ];
    const c = compile([connection(true), api('payments'), role('payments', {}), org({ members })]);
    expect([...c.snapshot.organizations.values()][0]?.members[0]?.permissions).toEqual(new Map());
    expect(resolution(c, 'Organization/people/acme').conditions[0]).toMatchObject({
      status: 'False',
      reason: 'ReferenceNotAllowed',
    });
  });

  it("passes on no permission of a Role on another namespace's API", () => {
    const members = [
      { connection: { name: 'test-people' }, roles: [{ name: 'reader', namespace: 'billing' }] },
    ];
    const c = compile([
      connection(true),
      api('payments'),
      role('billing', { allowedNamespaces: {} }),
      org({ members }),
    ]);
    expect([...c.snapshot.organizations.values()][0]?.members[0]?.permissions).toEqual(new Map());
    expect(problems(c, 'Organization/people/acme')[0]).toContain(
      'spec.members[0].roles[0]: people get no permissions on ResourceServer payments/payments-api through this Role',
    );
  });
});
