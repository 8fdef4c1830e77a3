import { deviceCodeMatches, userCodeOfDeviceCode } from '../../people/device/codes.ts';
import { DEVICE_CODE_GRANT } from '../../people/device/device-client.ts';
import { DevicePollError } from '../../people/device/poll-errors.ts';
import { decidePoll } from '../../people/device/poll.ts';
import type { DeviceAuthorizationRecord, DeviceDecision } from '../../people/records.ts';
import { firstOfFamily, type FirstRefreshToken } from '../../people/tokens/refresh-family.ts';
import type { StoredRecord } from '../../state/runtime-state.ts';
import { nonEmpty } from '../client-auth.ts';
import { InvalidGrant, InvalidRequest } from '../errors.ts';
import type { Grant, GrantContext, Issued, PeopleGrantDeps } from './grant.ts';
import { issueSignInTokens, peopleGrantOf, peopleIssued } from './people-grant.ts';

/**
 * `grant_type=urn:ietf:params:oauth:grant-type:device_code` (RFC 8628 §3.4): a device polls with its device
 * code until the person approved or denied it on the verification page. The interval is enforced, not only
 * advertised: a poll sooner than it is `slow_down` and the interval grows by 5 s for this and later polls (§3.5).
 * A waiting poll is one swap of the authorization against the version this replica remembers writing
 * (poll-memory.ts); a first poll here, or one after the record changed, reads it first.
 */
export const deviceCode: Grant = {
  type: DEVICE_CODE_GRANT,
  parameters: new Set(['device_code']),
  clientAuthentication: 'required',
  publicClients: true,
  needsState: true,
  handler: poll,
};

const INVALID = 'device_code is invalid or has expired';
const PENDING = 'the person has not answered yet';

async function poll(ctx: GrantContext): Promise<Issued> {
  const { deps } = peopleGrantOf(ctx);
  const presented = nonEmpty(ctx.params.device_code);
  if (presented === undefined) throw new InvalidRequest('device_code is missing');
  const userCode = userCodeOfDeviceCode(presented);
  if (userCode === undefined) throw new InvalidGrant(INVALID);
  const nowMs = ctx.now();
  const remembered = deps.devicePolls?.get(userCode);
  if (remembered !== undefined && belongsTo(remembered.value, presented, ctx.client.clientId)) {
    const waiting = await answerWaiting(deps, userCode, remembered, nowMs);
    if (waiting !== undefined) throw waiting;
  }
  const stored = await deps.state.get<DeviceAuthorizationRecord>('device_authorization', userCode, nowMs);
  if (stored === undefined || !deviceCodeMatches(presented, stored.value.deviceCodeDigest)) {
    throw new InvalidGrant(INVALID);
  }
  // RFC 8628 §3.4 with RFC 6749 §5.2: the device code is bound to the client it was issued to.
  if (stored.value.clientId !== ctx.client.clientId) {
    throw new InvalidGrant(INVALID, {
      detail: `device code of '${stored.value.clientId}' presented by '${ctx.client.clientId}'`,
    });
  }
  const waiting = await answerWaiting(deps, userCode, stored, nowMs);
  if (waiting !== undefined) throw waiting;
  deps.devicePolls?.forget(userCode);
  const decision = decidePoll(stored.value, nowMs);
  switch (decision.answer) {
    case 'already_used':
      throw new InvalidGrant('device_code was already used');
    case 'expired_token':
      throw new DevicePollError('expired_token', 'device_code has expired: start the sign-in again');
    case 'access_denied':
      throw new DevicePollError('access_denied', 'the person denied the sign-in');
    case 'issue':
      return issue(
        ctx,
        userCode,
        stored,
        stored.value.decision as Extract<DeviceDecision, { approved: true }>,
      );
    case 'slow_down':
    case 'authorization_pending':
      // Another poll or the person's answer wrote the record between the read and the swap: the next poll
      // sees what they wrote.
      throw new DevicePollError('authorization_pending', PENDING);
  }
}

/** Whether a remembered authorization is the one of this device code and client. */
function belongsTo(record: DeviceAuthorizationRecord, presented: string, clientId: string): boolean {
  return record.clientId === clientId && deviceCodeMatches(presented, record.deviceCodeDigest);
}

/**
 * Answers a poll while the person has not answered (RFC 8628 §3.5): records when it came (and the grown
 * interval, for `slow_down`) with one swap against `known`, remembers what it wrote, and returns the error to
 * answer with. Undefined when `known` is not waiting, or the record changed since it was known (the swap
 * fails): the caller then reads the record.
 */
async function answerWaiting(
  deps: PeopleGrantDeps,
  userCode: string,
  known: StoredRecord<DeviceAuthorizationRecord>,
  nowMs: number,
): Promise<DevicePollError | undefined> {
  const decision = decidePoll(known.value, nowMs);
  if (decision.answer !== 'slow_down' && decision.answer !== 'authorization_pending') return undefined;
  const slow = decision.answer === 'slow_down' ? { intervalSeconds: decision.intervalSeconds } : {};
  const value: DeviceAuthorizationRecord = { ...known.value, ...slow, lastPollAtMs: nowMs };
  const next = withOwner({ value, owner: known.owner, expiresAtMs: known.expiresAtMs });
  const version = await deps.state.compareAndSwap(
    'device_authorization',
    userCode,
    known.version,
    next,
    nowMs,
  );
  if (version === undefined) return undefined;
  deps.devicePolls?.remember(userCode, {
    value,
    owner: known.owner,
    expiresAtMs: known.expiresAtMs,
    version,
  });
  return decision.answer === 'slow_down'
    ? new DevicePollError(
        'slow_down',
        `polling too fast: wait at least ${decision.intervalSeconds} seconds between polls`,
      )
    : new DevicePollError('authorization_pending', PENDING);
}

/**
 * Issues the person's tokens and spends the device code in one atomic step with the first refresh token of the
 * family it starts, as a code's redemption does (authorization-code.ts). Of concurrent polls one wins the swap.
 */
async function issue(
  ctx: GrantContext,
  userCode: string,
  stored: StoredRecord<DeviceAuthorizationRecord>,
  approval: Extract<DeviceDecision, { approved: true }>,
): Promise<Issued> {
  const { deps, settings } = peopleGrantOf(ctx);
  const nowMs = ctx.now();
  const record = stored.value;
  const start = {
    ...approval,
    clientId: record.clientId,
    scopes: record.scopes,
    resources: record.resources,
  };
  const { tokens, offline } = await issueSignInTokens(ctx, start, nowMs);
  const family: FirstRefreshToken | undefined = offline ? firstOfFamily(start, settings, nowMs) : undefined;
  const next = withOwner({
    value: { ...record, issuedAtMs: nowMs },
    owner: stored.owner,
    expiresAtMs: stored.expiresAtMs,
  });
  const swapped =
    family === undefined
      ? await deps.state.compareAndSwap('device_authorization', userCode, stored.version, next, nowMs)
      : await deps.state.rotate('device_authorization', userCode, stored.version, next, family, nowMs);
  if (swapped === undefined) throw new InvalidGrant('device_code was already used');
  return peopleIssued(tokens, family?.key);
}

function withOwner<T>(r: { value: T; owner: string | undefined; expiresAtMs: number }) {
  return { value: r.value, ...(r.owner === undefined ? {} : { owner: r.owner }), expiresAtMs: r.expiresAtMs };
}
