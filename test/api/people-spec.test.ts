import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { connectionSpec } from '../../src/api/connection.ts';
import { oauthClientSpec } from '../../src/api/oauth-client.ts';
import { organizationSpec } from '../../src/api/organization.ts';
import { resourceServerSpec } from '../../src/api/resource-server.ts';
import { roleSpec } from '../../src/api/role.ts';
import { generateCrds } from '../../src/crd/generate.ts';
import { childNodes, type SchemaNode } from '../../src/crd/schema-node.ts';
import { CLIENT_CASES, CONNECTION_CASES, FORMAT, type SpecCase } from './people-spec-cases.ts';
import { PERSON_RULE_CASES } from './person-rule-cases.ts';

const SCHEMAS: Record<SpecCase['kind'], z.ZodType> = {
  OAuthClient: oauthClientSpec,
  Connection: connectionSpec,
  Role: roleSpec,
  Organization: organizationSpec,
  ResourceServer: resourceServerSpec,
};

/** What the zod schema says of a spec, as the table writes it. */
function problems(c: SpecCase): string[] {
  const issues = SCHEMAS[c.kind].safeParse(c.spec).error?.issues ?? [];
  return issues.map((i) => `${i.path.join('.')}: ${i.code === 'custom' ? i.message : FORMAT}`).sort();
}

/** Every CEL rule message below a node of the generated CRD. */
function ruleMessages(node: SchemaNode): string[] {
  const own = (node['x-kubernetes-validations'] ?? []).flatMap((r) =>
    r.message === undefined ? [] : [r.message],
  );
  return [...own, ...childNodes(node).flatMap(([, child]) => ruleMessages(child))];
}

function crdMessages(kind: SpecCase['kind']): string[] {
  const crd = generateCrds().find((g) => g.crd.spec.names.kind === kind)?.crd;
  const root = crd?.spec.versions[0]?.schema.openAPIV3Schema;
  return root === undefined ? [] : ruleMessages(root);
}

const byKind = (kind: SpecCase['kind']) => PERSON_RULE_CASES.filter((c) => c.kind === kind);

describe.each([
  ['OAuthClient', CLIENT_CASES],
  ['Connection', CONNECTION_CASES],
  ['Role', byKind('Role')],
  ['Organization', byKind('Organization')],
  ['ResourceServer', byKind('ResourceServer')],
] as const)('the %s schema for people (issues 12 and 13)', (kind, cases) => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    expect(problems(c)).toEqual([...c.problems].sort());
  });

  it('carries each rule of the table into the CRD as a CEL rule with the same message', () => {
    const messages = crdMessages(kind);
    const ruled = cases
      .filter((c) => c.server === undefined)
      .flatMap((c) => c.problems)
      .filter((p) => !p.endsWith(`: ${FORMAT}`));
    for (const p of ruled) expect(messages).toContain(p.slice(p.indexOf(': ') + 2));
  });
});
