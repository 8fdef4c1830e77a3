import { describe, expect, it } from 'vitest';
import { generateSigningKeys, keySetOf } from '../../src/keys/generate.ts';
import { compile } from '../../src/store/compile.ts';
import { federatedSubjectProblem } from '../../src/store/federated-subjects.ts';
import { declare, world } from './world.ts';

describe('federatedSubjectProblem (issue 9, item 7)', () => {
  it.each<[string, 'kubernetes' | 'oidc', string, string, string | undefined]>([
    [
      'a ServiceAccount of the client namespace',
      'kubernetes',
      'system:serviceaccount:apps:worker',
      'apps',
      undefined,
    ],
    [
      'a ServiceAccount of another namespace',
      'kubernetes',
      'system:serviceaccount:billing:worker',
      'apps',
      "subject 'system:serviceaccount:billing:worker' is a ServiceAccount of namespace billing: a client of namespace apps may federate only ServiceAccounts of its own namespace (move the OAuthClient to namespace billing)",
    ],
    [
      'a subject that is no ServiceAccount',
      'kubernetes',
      'system:node:n1',
      'apps',
      "subject 'system:node:n1' is not a ServiceAccount: the cluster's tokens name system:serviceaccount:<namespace>:<name>",
    ],
    [
      'a ServiceAccount subject without a name',
      'kubernetes',
      'system:serviceaccount:apps:',
      'apps',
      "subject 'system:serviceaccount:apps:' is not a ServiceAccount: the cluster's tokens name system:serviceaccount:<namespace>:<name>",
    ],
    [
      'a namespace prefix that only starts like the client namespace',
      'kubernetes',
      'system:serviceaccount:apps-2:worker',
      'apps',
      "subject 'system:serviceaccount:apps-2:worker' is a ServiceAccount of namespace apps-2: a client of namespace apps may federate only ServiceAccounts of its own namespace (move the OAuthClient to namespace apps-2)",
    ],
    ['any subject of an oidc issuer', 'oidc', 'repo:acme/app:ref:refs/heads/main', 'apps', undefined],
    [
      'a ServiceAccount-like subject of an oidc issuer',
      'oidc',
      'system:serviceaccount:billing:x',
      'apps',
      undefined,
    ],
  ])('%s', (_, type, subject, namespace, message) => {
    expect(federatedSubjectProblem(type, subject, namespace)).toBe(message);
  });
});

describe('compile: which namespace may federate a ServiceAccount', () => {
  const cluster = declare.connection('platform', 'cluster', { type: 'kubernetes', allowedNamespaces: {} });
  const checks = new Map([
    [
      'platform/cluster',
      {
        ok: true as const,
        issuer: 'https://kubernetes.default.svc.cluster.local',
        jwksUri: 'https://10.0.0.1/openid/v1/jwks',
        keys: 0,
        jwks: [],
      },
    ],
  ]);
  const worker = (ns: string, subject: string) =>
    declare.client(ns, 'worker', {
      tokenEndpointAuthMethod: 'private_key_jwt',
      federatedIdentities: [{ connection: { name: 'cluster', namespace: 'platform' }, subject }],
    });

  it("does not compile another namespace's ServiceAccount, and says why on the client", async () => {
    const keys = keySetOf(await generateSigningKeys());
    const own = worker('apps', 'system:serviceaccount:apps:worker');
    const intruder = worker('intruder', 'system:serviceaccount:apps:worker');
    const c = compile({ ...world([cluster, own, intruder]), connectionChecks: checks }, keys, 1);
    expect(c.snapshot.clients.get('worker.apps')?.federatedIdentities).toHaveLength(1);
    expect(c.snapshot.clients.has('worker.intruder')).toBe(false);
    expect(c.resolutions.get('OAuthClient/intruder/worker' as never)?.conditions[0]).toMatchObject({
      type: 'Ready',
      status: 'False',
      reason: 'ReferenceNotAllowed',
      message:
        "spec.federatedIdentities[0]: subject 'system:serviceaccount:apps:worker' is a ServiceAccount of namespace apps: a client of namespace intruder may federate only ServiceAccounts of its own namespace (move the OAuthClient to namespace apps)",
    });
  });
});
