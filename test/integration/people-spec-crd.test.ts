/**
 * The people sign-in rules (issue 12) and the person rules of Roles and Organizations (issue 13) as the API
 * server enforces them: every spec of the shared table
 * (test/api/people-spec-cases.ts) is created on a real kube-apiserver with the generated CRDs, and the server
 * accepts exactly the valid ones and refuses the others with the CEL message the zod schema gives offline.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/kube/types.ts';
import { resourceOf } from '../../src/operator/resources.ts';
import { CLIENT_CASES, CONNECTION_CASES, FORMAT, type SpecCase } from '../api/people-spec-cases.ts';
import { PERSON_RULE_CASES } from '../api/person-rule-cases.ts';
import { createNamespace, startCluster, type Cluster } from './operator-harness.ts';

const NS = 'people-rules';

describe('people sign-in rules on a real kube-apiserver', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await startCluster();
    await createNamespace(cluster, NS);
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  const cases = [...CLIENT_CASES, ...CONNECTION_CASES, ...PERSON_RULE_CASES].map(
    (c, i) => [c.kind, c.name, c, i] as const,
  );

  it.each(cases)('%s: %s', async (_, __, c: SpecCase, i) => {
    const body: KubeObject = {
      apiVersion: 'latchkey.dev/v1alpha1',
      kind: c.kind,
      metadata: { name: `case-${i}`, namespace: NS },
      spec: JSON.parse(JSON.stringify(c.spec)) as Record<string, unknown>,
    };
    const created = cluster.api.create(resourceOf(c.kind), NS, body);
    if (c.problems.length === 0) {
      await expect(created).resolves.toMatchObject({ metadata: { name: `case-${i}` } });
      return;
    }
    const refused = (await created.then(
      () => undefined,
      (err: unknown) => err,
    )) as { status?: number; message?: string } | undefined;
    expect(refused?.status).toBe(422);
    if (c.server !== undefined) {
      expect(refused?.message).toContain(c.server);
      return;
    }
    for (const p of c.problems) {
      const [field = '', message = ''] = [p.slice(0, p.indexOf(': ')), p.slice(p.indexOf(': ') + 2)];
      expect(refused?.message).toContain(`spec.${field.split('.')[0]}`);
      if (message !== FORMAT) expect(refused?.message).toContain(message);
    }
  });
});
