import { describe, expect, it } from 'vitest';
import type { ConnectionSpec } from '../../src/api/connection.ts';
import { DevConnectionChecks, KUBERNETES_NOT_CHECKED } from '../../src/dev/connection-checks.ts';
import { EventBus, type LatchkeyEvents } from '../../src/events.ts';
import type { Timers } from '../../src/timers.ts';
import { CONNECTION_REFRESH_MS } from '../../src/connections/check-schedule.ts';
import type { ConnectionCheck, DeclaredConnection } from '../../src/store/objects.ts';

const ISSUER = 'https://token.actions.example.com';
const JWKS = [{ kty: 'RSA', kid: 'k1', n: 'AQAB', e: 'AQAB' }];

function connection(name: string, spec: Partial<ConnectionSpec> = {}): DeclaredConnection {
  return {
    kind: 'Connection',
    metadata: { namespace: 'ci', name, generation: 1 },
    spec: { type: 'oidc', issuer: ISSUER, ...spec } as ConnectionSpec,
  } as DeclaredConnection;
}

const passed = (issuer = ISSUER): ConnectionCheck => ({
  ok: true,
  issuer,
  jwksUri: `${issuer}/jwks`,
  keys: 1,
  jwks: JWKS,
});

/** Timers that fire only when the test says so. */
function manualTimers() {
  const pending = new Map<number, { callback: () => void; ms: number }>();
  let next = 0;
  const timers: Timers = {
    setTimeout: (callback, ms) => {
      pending.set(++next, { callback, ms });
      return next;
    },
    clearTimeout: (handle) => pending.delete(handle as number),
  };
  return {
    timers,
    delays: () => [...pending.values()].map((t) => t.ms),
    fireAll() {
      const due = [...pending.values()];
      pending.clear();
      for (const t of due) t.callback();
    },
  };
}

function setUp(answers: (spec: ConnectionSpec) => ConnectionCheck) {
  const events = new EventBus();
  const failed: LatchkeyEvents['reconcile.failed'][] = [];
  events.on('reconcile.failed', (e) => failed.push(e));
  const clock = manualTimers();
  const asked: ConnectionSpec[] = [];
  let changes = 0;
  let byIssuer = new Map<string, { namespace: string; name: string }[]>();
  const checks = new DevConnectionChecks({
    events,
    now: () => 0,
    changed: () => changes++,
    connectionsByIssuer: () => byIssuer,
    check: async (spec) => {
      asked.push(spec);
      return answers(spec);
    },
    timers: clock.timers,
    random: () => 0,
  });
  return {
    checks,
    events,
    failed,
    clock,
    asked,
    changes: () => changes,
    trust(issuer: string, name: string) {
      byIssuer = new Map([[issuer, [{ namespace: 'ci', name }]]]);
    },
  };
}

/** Lets queued checks run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

describe('DevConnectionChecks', () => {
  it('checks a new oidc Connection before sync resolves and again hourly after it passed', async () => {
    const t = setUp(() => passed());
    await t.checks.sync([connection('actions')]);
    expect(t.checks.results.get('ci/actions')).toEqual(passed());
    expect(t.changes()).toBe(1);
    expect(t.clock.delays()).toEqual([CONNECTION_REFRESH_MS]);
    t.clock.fireAll();
    await settle();
    expect(t.asked).toHaveLength(2);
    // The same result again compiles nothing.
    expect(t.changes()).toBe(1);
    await t.checks.close();
  });

  it('retries a failure with the operator backoff and keeps the last good keys of the same spec', async () => {
    let up = true;
    const t = setUp(() => (up ? passed() : { ok: false, message: 'GET …: answered 503' }));
    await t.checks.sync([connection('actions')]);
    up = false;
    t.clock.fireAll();
    await settle();
    expect(t.checks.results.get('ci/actions')).toEqual({
      ok: false,
      message: 'GET …: answered 503',
      lastGood: { issuer: ISSUER, jwksUri: `${ISSUER}/jwks`, jwks: JWKS },
    });
    // client-go's first retry delays of the work queue, as the operator's Connection queue uses them.
    expect(t.clock.delays()).toEqual([5]);
    t.clock.fireAll();
    await settle();
    expect(t.clock.delays()).toEqual([10]);
    expect(t.checks.results.get('ci/actions')).toMatchObject({ lastGood: { issuer: ISSUER } });
    // Failures are said by the Connection's status, not once per retry.
    expect(t.failed).toEqual([]);
    await t.checks.close();
  });

  it('checks every oidc Connection again on each sync, and waits only for new or changed ones', async () => {
    const t = setUp((spec) => passed(spec.issuer));
    await t.checks.sync([connection('actions')]);
    expect(t.asked).toHaveLength(1);
    await t.checks.sync([connection('actions')]);
    await settle();
    expect(t.asked).toHaveLength(2);
    await t.checks.sync([connection('actions', { issuer: 'https://other.example.com' })]);
    expect(t.checks.results.get('ci/actions')).toEqual(passed('https://other.example.com'));
    await t.checks.close();
  });

  it('carries no last good keys over to another issuer', async () => {
    const t = setUp((spec) =>
      spec.issuer === ISSUER ? passed() : { ok: false, message: 'GET …: connection refused' },
    );
    await t.checks.sync([connection('actions')]);
    await t.checks.sync([connection('actions', { issuer: 'https://other.example.com' })]);
    expect(t.checks.results.get('ci/actions')).toEqual({ ok: false, message: 'GET …: connection refused' });
    await t.checks.close();
  });

  it('forgets a deleted Connection, and one that became kubernetes', async () => {
    const t = setUp(() => passed());
    await t.checks.sync([connection('actions'), connection('gitlab')]);
    await t.checks.sync([connection('actions', { type: 'kubernetes', issuer: undefined })]);
    expect([...t.checks.results.keys()]).toEqual([]);
    await t.checks.close();
  });

  it('never checks a kubernetes Connection and says once why it stays DiscoveryNotChecked', async () => {
    const t = setUp(() => passed());
    const cluster = connection('cluster', { type: 'kubernetes', issuer: undefined });
    await t.checks.sync([cluster]);
    await t.checks.sync([cluster]);
    await settle();
    expect(t.asked).toEqual([]);
    expect(t.checks.results.size).toBe(0);
    expect(t.failed).toEqual([
      { controller: 'connection', key: 'Connection/ci/cluster', message: KUBERNETES_NOT_CHECKED },
    ]);
    await t.checks.close();
  });

  it('checks a google Connection like an oidc one, and never a github or test one, which have no issuer', async () => {
    const t = setUp(() => passed('https://accounts.google.com'));
    await t.checks.sync([
      connection('google', { type: 'google', issuer: undefined, clientId: 'g' }),
      connection('github', { type: 'github', issuer: undefined, clientId: 'gh' }),
      connection('test', { type: 'test', issuer: undefined }),
    ]);
    await settle();
    expect(t.asked.map((s) => s.type)).toEqual(['google']);
    expect([...t.checks.results.keys()]).toEqual(['ci/google']);
    expect(t.failed).toEqual([]);
    await t.checks.close();
  });

  it('checks early when a federated token names a key its issuer lacks', async () => {
    const t = setUp(() => passed());
    await t.checks.sync([connection('actions')]);
    t.trust(ISSUER, 'actions');
    t.events.emit('issuer.unknownKey', { issuer: ISSUER, kid: 'k2' });
    await settle();
    expect(t.asked).toHaveLength(2);
    // At most once per cooldown, whoever sends such tokens.
    t.events.emit('issuer.unknownKey', { issuer: ISSUER, kid: 'k2' });
    await settle();
    expect(t.asked).toHaveLength(2);
    await t.checks.close();
  });

  it('releases a sync waiting for checks that will not run once closed', async () => {
    const release = Promise.withResolvers<void>();
    const events = new EventBus();
    const checks = new DevConnectionChecks({
      events,
      now: () => 0,
      changed: () => undefined,
      connectionsByIssuer: () => new Map(),
      check: async (spec) => {
        await release.promise;
        return passed(spec.issuer);
      },
      timers: manualTimers().timers,
    });
    // More Connections than checks run at once: the last is still queued when the checks stop.
    const names = ['a', 'b', 'c', 'd', 'e'];
    const synced = checks.sync(names.map((n) => connection(n, { issuer: `https://${n}.example.com` })));
    await settle();
    const closed = checks.close();
    release.resolve();
    await closed;
    await expect(synced).resolves.toBeUndefined();
    expect(checks.results.size).toBe(4);
    await expect(checks.sync([connection('late')])).resolves.toBeUndefined();
  });
});
