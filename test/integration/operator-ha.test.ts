import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORE_CONFIGMAPS, CORE_SECRETS, LEASES, type KubeObject } from '../../src/kube/types.ts';
import { resourceOf } from '../../src/operator/resources.ts';
import { KEYS_ISSUED_CONFIGMAP, SIGNING_KEYS_SECRET } from '../../src/operator/signing-key-secret.ts';
import { freePort, repoRoot } from './envtest.ts';
import {
  conditionOf,
  createNamespace,
  eventually,
  getObject,
  operator,
  OPERATOR_NAMESPACE,
  secretData,
  startCluster,
  tokenFromSecret,
  type Cluster,
  type Operator,
} from './operator-harness.ts';

const LEASE = 'latchkey-operator';

interface Child {
  process: ChildProcess;
  tokenEndpoint: string;
  output: string[];
}

/** `latchkey operator` as its own process, as a Deployment's pod runs it. */
async function operatorProcess(cluster: Cluster, identity: string): Promise<Child> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      join(repoRoot, 'src/cli/main.ts'),
      'operator',
      ...[
        '--issuer',
        `http://127.0.0.1:${port}`,
        '--kubeconfig',
        cluster.cp.kubeconfigPath,
        '--namespace',
        OPERATOR_NAMESPACE,
      ],
      ...['--host', '127.0.0.1', '--port', String(port), '--ops-port', '0', '--identity', identity],
      ...['--lease-duration', '4s', '--renew-deadline', '3s', '--retry-period', '1s'],
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  process.once('exit', () => child.kill('SIGKILL'));
  const output: string[] = [];
  child.stdout?.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
  await eventually(
    async () => output.join(''),
    (t) => t.includes('Latchkey operator is ready'),
    `${identity} ready`,
    20_000,
  );
  return { process: child, tokenEndpoint: `http://127.0.0.1:${port}/oauth2/token`, output };
}

const holder = async (cluster: Cluster) =>
  (
    (await cluster.api.get<KubeObject>(LEASES, OPERATOR_NAMESPACE, LEASE))?.['spec'] as
      { holderIdentity?: string } | undefined
  )?.holderIdentity;

describe('latchkey operator replicas (real kube-apiserver)', () => {
  let cluster: Cluster;
  let follower: Operator | undefined;
  let leader: Child | undefined;

  beforeAll(async () => {
    cluster = await startCluster();
    await createNamespace(cluster, 'apps');
    await cluster.api.create(resourceOf('ResourceServer'), 'apps', {
      apiVersion: 'latchkey.dev/v1alpha1',
      kind: 'ResourceServer',
      metadata: { name: 'api', namespace: 'apps' },
      spec: { identifier: 'https://api', scopes: [{ name: 'read' }] },
    });
    leader = await operatorProcess(cluster, 'replica-a');
    await eventually(
      () => holder(cluster),
      (h) => h === 'replica-a',
      'replica-a leads',
    );
    follower = await operator(cluster, [], 'replica-b');
    await follower.whenReady();
  });
  afterAll(async () => {
    leader?.process.kill('SIGKILL');
    await follower?.close();
    await cluster?.stop();
  });

  const addClient = async (name: string) => {
    await cluster.api.create(resourceOf('OAuthClient'), 'apps', {
      apiVersion: 'latchkey.dev/v1alpha1',
      kind: 'OAuthClient',
      metadata: { name, namespace: 'apps' },
      spec: { grants: [{ resourceServer: { name: 'api' }, scopes: ['read'] }] },
    });
    return eventually(
      () => secretData(cluster, 'apps', `${name}-oauth`),
      (d) => d?.['client_secret'] !== undefined,
      `Secret of ${name}`,
    ) as Promise<Record<string, string>>;
  };

  it('lets one leader write while every replica serves tokens with the same keys', async () => {
    expect(follower?.isLeader()).toBe(false);
    const creds = await addClient('one');
    await eventually(
      () => getObject(cluster, 'OAuthClient', 'apps', 'one'),
      (o) => conditionOf(o)?.status === 'True',
      'Ready',
    );
    const viaLeader = await eventually(
      () => tokenFromSecret({ ...creds, token_endpoint: (leader as Child).tokenEndpoint }),
      (t) => t.answer.status === 200,
      'leader serves',
    );
    const viaFollower = await eventually(
      () =>
        tokenFromSecret({
          ...creds,
          token_endpoint: (follower as Operator).tokenEndpoint,
          issuer: (follower as Operator).issuer,
        }),
      (t) => t.answer.status === 200,
      'follower serves',
    );
    expect(decodeProtectedHeader(viaFollower.answer.body['access_token'] as string).kid).toBe(
      decodeProtectedHeader(viaLeader.answer.body['access_token'] as string).kid,
    );
  });

  it('hands over when the leader dies, and the new leader keeps writing', async () => {
    leader?.process.kill('SIGKILL');
    await eventually(
      () => holder(cluster),
      (h) => h === 'replica-b',
      'replica-b takes over',
      15_000,
    );
    expect(follower?.isLeader()).toBe(true);
    const creds = await addClient('two');
    await eventually(
      () =>
        tokenFromSecret({
          ...creds,
          token_endpoint: (follower as Operator).tokenEndpoint,
          issuer: (follower as Operator).issuer,
        }),
      (t) => t.answer.status === 200,
      'token after hand-over',
    );
  });

  it('keeps serving while the API server is down, and resumes without regenerating anything', async () => {
    const op = follower as Operator;
    const creds = await secretData(cluster, 'apps', 'one-oauth');
    const keysBefore = await cluster.api.get<KubeObject>(
      CORE_SECRETS,
      OPERATOR_NAMESPACE,
      SIGNING_KEYS_SECRET,
    );
    const endpoint = { ...creds, token_endpoint: op.tokenEndpoint, issuer: op.issuer } as Record<
      string,
      string
    >;
    const kid = decodeProtectedHeader(
      (await tokenFromSecret(endpoint)).answer.body['access_token'] as string,
    ).kid;

    await cluster.cp.stopApiServer();
    try {
      for (let i = 0; i < 5; i++) {
        expect((await tokenFromSecret(endpoint)).answer.status).toBe(200);
        await new Promise((r) => setTimeout(r, 500));
      }
    } finally {
      await cluster.cp.startApiServer();
    }

    await cluster.api.patch(resourceOf('ResourceServer'), 'apps', 'api', {
      spec: { scopes: [{ name: 'read' }, { name: 'write' }] },
    });
    await cluster.api.patch(resourceOf('OAuthClient'), 'apps', 'one', {
      spec: { grants: [{ resourceServer: { name: 'api' }, scopes: ['read', 'write'] }] },
    });
    const after = await eventually(
      () => tokenFromSecret(endpoint),
      (t) => t.claims?.['scope'] === 'read write',
      'change after the restart',
      60_000,
    );
    expect(decodeProtectedHeader(after.answer.body['access_token'] as string).kid).toBe(kid);
    expect(await secretData(cluster, 'apps', 'one-oauth')).toEqual(creds);
    const keysAfter = await cluster.api.get<KubeObject>(
      CORE_SECRETS,
      OPERATOR_NAMESPACE,
      SIGNING_KEYS_SECRET,
    );
    expect(keysAfter?.['data']).toEqual(keysBefore?.['data']);
  });

  it('puts back a deleted signing key Secret with the same keys', async () => {
    const before = await cluster.api.get<KubeObject>(CORE_SECRETS, OPERATOR_NAMESPACE, SIGNING_KEYS_SECRET);
    await cluster.api.delete(CORE_SECRETS, OPERATOR_NAMESPACE, SIGNING_KEYS_SECRET);
    const restored = await eventually(
      () => cluster.api.get<KubeObject>(CORE_SECRETS, OPERATOR_NAMESPACE, SIGNING_KEYS_SECRET),
      (s) => s !== undefined,
      'key Secret restored',
    );
    expect(restored?.metadata.uid).not.toBe(before?.metadata.uid);
    const kids = (s: KubeObject | undefined) =>
      (
        JSON.parse(
          Buffer.from((s?.['data'] as Record<string, string>)['keys.json'] as string, 'base64').toString(),
        ) as { keys: { kid: string }[] }
      ).keys.map((k) => k.kid);
    expect(kids(restored)).toEqual(kids(before));
  });

  it('reports a corrupt key Secret loudly, leaves it alone and keeps signing', async () => {
    const op = follower as Operator;
    const corrupt: string[] = [];
    op.events.on('keys.corrupt', (e) => corrupt.push(e.message));
    const good = (await cluster.api.get<KubeObject>(CORE_SECRETS, OPERATOR_NAMESPACE, SIGNING_KEYS_SECRET))?.[
      'data'
    ];
    await cluster.api.patch(CORE_SECRETS, OPERATOR_NAMESPACE, SIGNING_KEYS_SECRET, {
      data: { 'keys.json': Buffer.from('{oops').toString('base64') },
    });
    await eventually(
      async () => corrupt,
      (c) => c.length > 0,
      'corruption reported',
    );
    expect(corrupt[0]).toBe(`Secret ${OPERATOR_NAMESPACE}/${SIGNING_KEYS_SECRET}: keys.json is not JSON`);
    await new Promise((r) => setTimeout(r, 1500));
    const still = await cluster.api.get<KubeObject>(CORE_SECRETS, OPERATOR_NAMESPACE, SIGNING_KEYS_SECRET);
    expect(
      Buffer.from((still?.['data'] as Record<string, string>)['keys.json'] as string, 'base64').toString(),
    ).toBe('{oops');
    const creds = (await secretData(cluster, 'apps', 'one-oauth')) as Record<string, string>;
    expect(
      (await tokenFromSecret({ ...creds, token_endpoint: op.tokenEndpoint, issuer: op.issuer })).answer
        .status,
    ).toBe(200);
    // A replica starting now could not load any keys; put the good ones back for the next test.
    await cluster.api.patch(CORE_SECRETS, OPERATOR_NAMESPACE, SIGNING_KEYS_SECRET, { data: good });
  });

  it('releases the Lease on SIGTERM so the next replica need not wait', async () => {
    const c = await operatorProcess(cluster, 'replica-c');
    await (follower as Operator).close();
    follower = undefined;
    await eventually(
      () => holder(cluster),
      (h) => h === 'replica-c',
      'replica-c takes over',
      10_000,
    );
    const exited = new Promise<number | null>((r) => c.process.once('exit', (code) => r(code)));
    c.process.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(await holder(cluster)).toBeFalsy();
  });

  it('refuses to issue new keys after the key Secret is lost while no replica runs', async () => {
    await cluster.api.delete(CORE_SECRETS, OPERATOR_NAMESPACE, SIGNING_KEYS_SECRET);
    const fresh = await operator(cluster, [], 'replica-d');
    const problems: string[] = [];
    fresh.events.on('keys.corrupt', (e) => problems.push(e.message));
    try {
      await eventually(
        async () => problems,
        (p) => p.length > 0,
        'the loss reported',
      );
      expect(problems[0]).toMatch(
        /^Secret latchkey-system\/latchkey-signing-keys is gone and no replica holds the keys it held \(kids .+\); tokens they signed may still be in use\. Restore the Secret from a backup, or delete ConfigMap latchkey-system\/latchkey-signing-keys-issued to issue new keys$/,
      );
      expect(await cluster.api.get(CORE_SECRETS, OPERATOR_NAMESPACE, SIGNING_KEYS_SECRET)).toBeUndefined();
      const readyz = await fetch(`http://127.0.0.1:${fresh.opsPort}/readyz`);
      expect(readyz.status).toBe(503);

      await cluster.api.delete(CORE_CONFIGMAPS, OPERATOR_NAMESPACE, KEYS_ISSUED_CONFIGMAP);
      await eventually(
        () => cluster.api.get(CORE_SECRETS, OPERATOR_NAMESPACE, SIGNING_KEYS_SECRET),
        (sec) => sec !== undefined,
        'new keys once the record of the old ones is removed',
        20_000,
      );
    } finally {
      await fresh.close();
    }
  });
});
