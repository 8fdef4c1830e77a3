import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus } from '../../src/events.ts';
import { DevicePollMemory } from '../../src/people/device/poll-memory.ts';
import type { DeviceAuthorizationRecord } from '../../src/people/records.ts';
import { startServers, type RunningServers } from '../../src/server/start.ts';
import { openEmbeddedState } from '../../src/state/embedded/embedded-state.ts';
import type { RuntimeState } from '../../src/state/runtime-state.ts';
import { NOW_MS, testKeys } from '../http/harness.ts';
import { FixedSource } from '../http/world.ts';
import { signedIn } from './authorize-support.ts';
import {
  answerConfirmation,
  browserOf,
  deviceWorld,
  enterCode,
  pollOnce,
  startDevice,
} from './device-support.ts';
import type { PeopleHarness } from './harness.ts';
import { alice, ALICE_ID, writeUser } from './token-fixtures.ts';

/**
 * How much a poll costs the store (RFC 8628, issue 13): a device that polls the same replica again is answered
 * with one swap against what that replica remembers writing, too soon (`slow_down`) or on time alike; the first
 * poll, and one after the person answered, read first. Counted by a wrapper around the real embedded store.
 */

/** The store, counting each operation on device authorizations. */
function counting(state: RuntimeState): { state: RuntimeState; ops: string[] } {
  const ops: string[] = [];
  const counted = new Proxy(state, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (args[0] === 'device_authorization') ops.push(String(name));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { state: counted, ops };
}

const clock = { now: NOW_MS };
let servers: RunningServers;
let inner: RuntimeState;
let ops: string[];
let h: Pick<PeopleHarness, 'issuer' | 'state' | 'clock'>;

beforeAll(async () => {
  inner = await openEmbeddedState({ path: ':memory:', clock: () => clock.now });
  const wrapped = counting(inner);
  ops = wrapped.ops;
  const keys = await testKeys();
  const source = new FixedSource(deviceWorld({ keys }));
  servers = await startServers({
    source,
    port: 0,
    opsPort: 0,
    now: () => clock.now,
    events: new EventBus(),
    ready: () => true,
    state: wrapped.state,
  });
  h = { issuer: servers.issuer, clock, state: inner };
});
afterAll(async () => {
  await servers.close();
  await inner.close();
});

/** The operations on device authorizations that `action` made. */
async function opsOf(action: () => Promise<unknown>): Promise<string[]> {
  ops.length = 0;
  await action();
  return [...ops];
}

describe('the store operations of a poll', () => {
  it('reads and swaps at the first poll, then only swaps, too soon or on time; reads again after the answer', async () => {
    const { body } = await startDevice(h);
    const code = body.device_code as string;
    let answer: Record<string, unknown> = {};
    expect(await opsOf(async () => (answer = (await pollOnce(h, code)).body))).toEqual([
      'get',
      'compareAndSwap',
    ]);
    expect(answer.error).toBe('authorization_pending');
    clock.now += 1000;
    expect(await opsOf(async () => (answer = (await pollOnce(h, code)).body))).toEqual(['compareAndSwap']);
    expect(answer.error).toBe('slow_down');
    clock.now += 10_000;
    expect(await opsOf(async () => (answer = (await pollOnce(h, code)).body))).toEqual(['compareAndSwap']);
    expect(answer.error).toBe('authorization_pending');

    await writeUser(inner, alice(clock.now), clock.now);
    const b = browserOf(h, (await signedIn(h, ALICE_ID)).id);
    await answerConfirmation(b, await enterCode(b, body.user_code as string), 'allow');
    clock.now += 10_000;
    let status = 0;
    // The remembered version is stale: the swap fails, the read finds the approval, the issue swaps (with the
    // first refresh token).
    expect(await opsOf(async () => (status = (await pollOnce(h, code)).status))).toEqual([
      'compareAndSwap',
      'get',
      'rotate',
    ]);
    expect(status).toBe(200);
    expect((await pollOnce(h, code)).body.error).toBe('invalid_grant');
  });

  it('never answers from memory alone: a device code that does not match is refused after a read', async () => {
    const { body } = await startDevice(h);
    const code = body.device_code as string;
    await pollOnce(h, code);
    const forged = `${code.slice(0, 9)}${'B'.repeat(43)}`;
    expect(
      await opsOf(async () => expect((await pollOnce(h, forged)).body.error).toBe('invalid_grant')),
    ).toEqual(['get']);
  });
});

describe('DevicePollMemory', () => {
  const entry = (n: number) => ({
    value: { clientId: `c${n}` } as DeviceAuthorizationRecord,
    owner: undefined,
    expiresAtMs: 0,
    version: n,
  });

  it('keeps the most recently used entries up to its capacity', () => {
    const memory = new DevicePollMemory(2);
    memory.remember('A', entry(1));
    memory.remember('B', entry(2));
    memory.remember('A', entry(3));
    memory.remember('C', entry(4));
    expect(memory.size).toBe(2);
    expect(memory.get('B')).toBeUndefined();
    expect(memory.get('A')?.version).toBe(3);
    memory.forget('A');
    expect(memory.get('A')).toBeUndefined();
  });
});
