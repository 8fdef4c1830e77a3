/**
 * `latchkey operator --state postgres` against a real kube-apiserver and a real PostgreSQL (issue 11). Two
 * replicas run in this process on one empty database, which the first start migrates: a client assertion one
 * accepted is refused at the other, a token revoked at one is inactive at the other's introspection, and both
 * are rows in PostgreSQL. Then PostgreSQL stops under them: what needs state answers 503 while
 * client_credentials keeps issuing, the Pods stay ready with the outage named under `degraded`, each replica
 * records one Event on its own Pod (which `kubectl describe pod` shows), and once PostgreSQL is back all
 * recovers by itself, with one more Event each. Every wait is for a condition, never for a time.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS, type KubeObject, type ResourceType } from '../../src/kube/types.ts';
import { resourceOf } from '../../src/operator/resources.ts';
import { replayKey } from '../../src/runtime/state-replay-cache.ts';
import { keyDigest } from '../../src/state/key-digest.ts';
import { STATE_MIGRATIONS } from '../../src/state/migrations.ts';
import { MIGRATIONS_TABLE, RECORDS_TABLE } from '../../src/state/postgres/schema.ts';
import type { RecordKind } from '../../src/state/runtime-state.ts';
import type { Answer } from '../http/harness.ts';
import { makeTempDir, removeTempDir } from '../support/managed-process.ts';
import { startPostgres, withClient, type RunningPostgres } from '../support/postgres.ts';
import {
  assertionKey,
  clientCredentials,
  expectTemporarilyUnavailable,
  postAssertion,
  readiness,
  signAssertion,
  tokenOperation,
  type AssertionKey,
  type SecretCredentials,
} from '../support/state-requests.ts';
import {
  createNamespace,
  eventually,
  listAll,
  operator,
  OPERATOR_NAMESPACE,
  secretData,
  startCluster,
  type Cluster,
  type Operator,
} from './operator-harness.ts';

const run = promisify(execFile);

const NS = 'apps';
/** One issuer for both replicas, as behind the chart's Service; each is reached at its own port. */
const ISSUER = `http://latchkey.${OPERATOR_NAMESPACE}.svc:8080`;
const SIGNER = `signer.${NS}`;
const PODS: ResourceType = { group: '', version: 'v1', plural: 'pods', namespaced: true };
/** The replicas' identities, which the chart sets to their Pods' names. */
const REPLICAS = ['latchkey-0', 'latchkey-1'] as const;

interface PodEvent extends KubeObject {
  type: string;
  reason: string;
  action: string;
  note: string;
  reportingController: string;
  reportingInstance: string;
  regarding: { apiVersion: string; kind: string; namespace: string; name: string; uid?: string };
}

let cluster: Cluster;
let db: RunningPostgres;
let dbUrl: string;
let dir: string;
let key: AssertionKey;
let reader: SecretCredentials;
const podUids = new Map<string, string>();
let replicas: [Operator, Operator];
/** Every replica that started, closed by afterAll even when the other failed to start. */
const started: Operator[] = [];
/** Each replica's `state.unavailable` and `state.recovered`, as its log and Events see them. */
const outages = new Map<Operator, { unavailable: number; recovered: number }>();
let jtis = 0;

/** The Pod a Deployment would have made: only its name and uid matter here, no kubelet runs it. */
async function createPod(name: string): Promise<string> {
  const pod = await cluster.api.create<KubeObject>(PODS, OPERATOR_NAMESPACE, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: OPERATOR_NAMESPACE },
    spec: { containers: [{ name: 'latchkey', image: 'latchkey:test' }] },
  });
  return pod.metadata.uid as string;
}

async function startReplica(name: string, extra: string[], env: Record<string, string>): Promise<Operator> {
  const op = await operator(cluster, ['--state', 'postgres', ...extra], name, {
    issuer: ISSUER,
    env: { ...env, POD_UID: podUids.get(name) as string },
  });
  started.push(op);
  const seen = { unavailable: 0, recovered: 0 };
  op.events.on('state.unavailable', () => void seen.unavailable++);
  op.events.on('state.recovered', () => void seen.recovered++);
  outages.set(op, seen);
  return op;
}

beforeAll(async () => {
  dir = await makeTempDir('latchkey-operator-postgres-');
  // Both started before either failure is thrown, so afterAll stops whichever did start.
  const starting = await Promise.allSettled([
    startCluster().then((c) => (cluster = c)),
    startPostgres().then((p) => (db = p)),
  ]);
  for (const s of starting) if (s.status === 'rejected') throw s.reason;
  key = await assertionKey('signer-1');
  dbUrl = await db.createDatabase();
  await createNamespace(cluster, NS);
  await cluster.api.create(resourceOf('ResourceServer'), NS, {
    apiVersion: 'latchkey.dev/v1alpha1',
    kind: 'ResourceServer',
    metadata: { name: 'api', namespace: NS },
    spec: { identifier: 'https://api', scopes: [{ name: 'read' }] },
  });
  const grants = [{ resourceServer: { name: 'api' }, scopes: ['read'] }];
  await cluster.api.create(resourceOf('OAuthClient'), NS, {
    apiVersion: 'latchkey.dev/v1alpha1',
    kind: 'OAuthClient',
    metadata: { name: 'reader', namespace: NS },
    spec: { grants },
  });
  await cluster.api.create(resourceOf('OAuthClient'), NS, {
    apiVersion: 'latchkey.dev/v1alpha1',
    kind: 'OAuthClient',
    metadata: { name: 'signer', namespace: NS },
    spec: { tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [key.jwk] }, grants },
  });
  for (const name of REPLICAS) podUids.set(name, await createPod(name));
  // One replica reads the URL from the environment, the other from a file, as the chart mounts a Secret.
  const urlFile = join(dir, 'state-url');
  await writeFile(urlFile, `${dbUrl}\n`, { mode: 0o600 });
  replicas = await Promise.all([
    startReplica(REPLICAS[0], [], { LATCHKEY_STATE_URL: dbUrl }),
    startReplica(REPLICAS[1], ['--state-url-file', urlFile], {}),
  ]);
  await Promise.all(replicas.map((r) => r.whenReady()));
  const secret = await eventually(
    () => secretData(cluster, NS, 'reader-oauth'),
    (d) => d?.['client_secret'] !== undefined,
    'the Secret of reader',
  );
  reader = { clientId: secret?.['client_id'] as string, secret: secret?.['client_secret'] as string };
  // Both replicas serve both clients before anything is asserted about them.
  for (const r of replicas) {
    await eventually(
      () => clientCredentials(tokenEndpoint(r), reader),
      (a) => a.status === 200,
      `${r.identity} issues to reader`,
    );
    await eventually(
      async () => withAssertion(r, await assertion()),
      (a) => a.status === 200,
      `${r.identity} accepts signer's assertions`,
    );
  }
  // Two processes and two operators start on a loaded machine; each wait above has its own deadline.
}, 180_000);

afterAll(async () => {
  // A failed test may leave PostgreSQL stopped: the replicas close their state either way.
  for (const r of started) await r.close();
  await db?.stop();
  await cluster?.stop();
  if (dir) await removeTempDir(dir);
});

/** Where a replica answers: its own port on 127.0.0.1, under the shared issuer's (empty) path. */
function at(replica: Operator): string {
  return `http://127.0.0.1:${replica.port}`;
}

function tokenEndpoint(replica: Operator): string {
  return `${at(replica)}/oauth2/token`;
}

function assertion(jti = `jti-${++jtis}`): Promise<string> {
  return signAssertion(key, { clientId: SIGNER, audience: ISSUER, jti, nowS: Math.floor(Date.now() / 1000) });
}

function withAssertion(replica: Operator, signed: string): Promise<Answer> {
  return postAssertion(tokenEndpoint(replica), signed);
}

/** How many rows of `kind` PostgreSQL holds for `key` (stored as its digest). */
function rowsOf(kind: RecordKind, key: string): Promise<number> {
  return withClient(dbUrl, async (c) => {
    const { rows } = await c.query(
      `select count(*)::int as n from ${RECORDS_TABLE} where kind = $1 and key_digest = $2`,
      [kind, keyDigest(kind, key)],
    );
    return rows[0].n as number;
  });
}

/** The runtime state Events on a replica's Pod, oldest first. */
async function stateEvents(pod: string): Promise<PodEvent[]> {
  const events = (await listAll(cluster, EVENTS, OPERATOR_NAMESPACE)) as PodEvent[];
  return events
    .filter((e) => e.regarding?.kind === 'Pod' && e.regarding.name === pod)
    .filter((e) => e.reason.startsWith('RuntimeState'))
    .sort((a, b) => String(a['eventTime']).localeCompare(String(b['eventTime'])));
}

function reasons(events: PodEvent[]): string[] {
  return events.map((e) => e.reason);
}

/** What `kubectl describe pod` lists under Events: it finds them by the Pod's uid. */
async function describedEvents(pod: string): Promise<string> {
  const { stdout } = await run('kubectl', [
    ...['--kubeconfig', cluster.cp.kubeconfigPath, '--namespace', OPERATOR_NAMESPACE],
    ...['describe', 'pod', pod],
  ]);
  return stdout.slice(stdout.indexOf('\nEvents:'));
}

describe('latchkey operator --state postgres (real kube-apiserver and PostgreSQL)', () => {
  it('migrates an empty database at start-up, once for both replicas', async () => {
    const versions = await withClient(
      dbUrl,
      async (c) => (await c.query(`select version from ${MIGRATIONS_TABLE} order by version`)).rows,
    );
    expect(versions.map((r) => r.version)).toEqual(STATE_MIGRATIONS.map((step) => step.version));
  });

  it('refuses at one replica a private_key_jwt assertion the other accepted: its jti is a row in PostgreSQL', async () => {
    const [a, b] = replicas;
    const jti = `shared-${++jtis}`;
    const signed = await assertion(jti);
    expect(await rowsOf('assertion_jti', replayKey(SIGNER, jti))).toBe(0);
    expect((await withAssertion(a, signed)).status).toBe(200);
    const replayed = await withAssertion(b, signed);
    expect(replayed.status).toBe(401);
    expect(replayed.body.error).toBe('invalid_client');
    expect(String(replayed.body.error_description)).toMatch(/was already used/);
    expect(await rowsOf('assertion_jti', replayKey(SIGNER, jti))).toBe(1);
  });

  it("reports inactive at one replica's introspection a token revoked at the other: a row in PostgreSQL", async () => {
    const [a, b] = replicas;
    const token = (await clientCredentials(tokenEndpoint(a), reader)).body.access_token as string;
    const { jti } = (await tokenOperation(at(b), 'introspect', token, reader)).body as { jti: string };
    expect(await rowsOf('revoked_token', jti)).toBe(0);
    expect((await tokenOperation(at(a), 'revoke', token, reader)).status).toBe(200);
    expect((await tokenOperation(at(b), 'introspect', token, reader)).body).toEqual({ active: false });
    expect(await rowsOf('revoked_token', jti)).toBe(1);
  });

  it('records one Event on each Pod while PostgreSQL is down, stays ready, and recovers by itself with one more', async () => {
    const [a, b] = replicas;
    const token = (await clientCredentials(tokenEndpoint(a), reader)).body.access_token as string;
    expect((await tokenOperation(at(b), 'introspect', token, reader)).body.active).toBe(true);
    for (const r of replicas) expect(await stateEvents(r.identity)).toEqual([]);

    await db.stopServer();
    // Many requests that need state, at both replicas: each fails closed, and the outage is one Event per Pod.
    for (let i = 0; i < 5; i++) {
      for (const r of replicas) {
        expectTemporarilyUnavailable(await withAssertion(r, await assertion()));
        expectTemporarilyUnavailable(await tokenOperation(at(r), 'introspect', token, reader));
      }
    }
    expect((await clientCredentials(tokenEndpoint(a), reader)).status).toBe(200);
    for (const r of replicas) {
      const [unavailable] = await eventually(
        () => stateEvents(r.identity),
        (events) => events.length > 0,
        `the outage Event on ${r.identity}`,
      );
      expect(unavailable).toMatchObject({
        type: 'Warning',
        reason: 'RuntimeStateUnavailable',
        action: 'Serve',
        reportingController: 'latchkey.dev/operator',
        reportingInstance: r.identity,
        regarding: {
          apiVersion: 'v1',
          kind: 'Pod',
          namespace: OPERATOR_NAMESPACE,
          name: r.identity,
          uid: podUids.get(r.identity),
        },
      });
      expect(unavailable?.note).toMatch(
        /^the runtime state \(postgres\) does not answer: PostgreSQL runtime state: .+; client assertions, introspection and revocation answer temporarily_unavailable until it does$/,
      );
      expect(unavailable?.note).not.toContain(new URL(dbUrl).password);
      expect(await describedEvents(r.identity)).toContain('RuntimeStateUnavailable');

      // The Pod stays ready, so the Service keeps sending it client_credentials; the outage is named.
      const ready = await readiness(r.opsPort);
      expect(ready.status).toBe(200);
      expect(ready.body.status).toBe('ready');
      expect(ready.body.degraded?.state).toMatch(/^the runtime state \(postgres\) does not answer: /);
      const state = await readiness(r.opsPort, '/readyz/state');
      expect(state.status).toBe(503);
      expect(state.body.reason).toBe(ready.body.degraded?.state);
    }

    await db.startServer();
    // No request to b: its pings find the database again.
    await eventually(
      async () => (await withAssertion(a, await assertion())).status,
      (status) => status === 200,
      `${a.identity} accepts assertions again`,
    );
    for (const r of replicas) {
      await eventually(
        () => stateEvents(r.identity),
        (events) => reasons(events).includes('RuntimeStateRecovered'),
        `the recovery Event on ${r.identity}`,
      );
      await eventually(
        async () => (await readiness(r.opsPort, '/readyz/state')).status,
        (status) => status === 200,
        `${r.identity}'s /readyz/state`,
      );
      expect((await readiness(r.opsPort)).body).toEqual({ status: 'ready' });
    }
    expect((await tokenOperation(at(b), 'introspect', token, reader)).body.active).toBe(true);

    for (const r of replicas) {
      const events = await stateEvents(r.identity);
      expect(reasons(events)).toEqual(['RuntimeStateUnavailable', 'RuntimeStateRecovered']);
      expect(events[1]).toMatchObject({
        type: 'Normal',
        regarding: { kind: 'Pod', name: r.identity, uid: podUids.get(r.identity) },
      });
      expect(events[1]?.note).toMatch(/^the runtime state \(postgres\) answers again after \d+s$/);
      // Once per outage, not per request: the Events are what the replica reported.
      expect(outages.get(r)).toEqual({ unavailable: 1, recovered: 1 });
      expect(await describedEvents(r.identity)).toContain('RuntimeStateRecovered');
    }
  });
});
