import type { DeviceAuthorizationRecord } from '../records.ts';

/** How long the codes are usable (RFC 8628 §3.2 `expires_in`): time to find a browser and sign in. */
export const DEVICE_CODE_LIFETIME_MS = 10 * 60_000;

/** How long a record stays after that, so a late poll learns `expired_token` instead of `invalid_grant`. */
export const DEVICE_RECORD_AFTERLIFE_MS = 10 * 60_000;

/** The least interval between polls a device is told (§3.2 `interval`; the RFC's default). */
export const DEFAULT_POLL_INTERVAL_SECONDS = 5;

/** What §3.5 adds to the interval at each `slow_down`. */
export const SLOW_DOWN_STEP_SECONDS = 5;

/**
 * How much earlier than the interval a poll may come and still count as on time. A device waits the interval
 * after each answer; the server measures between the moments it handles two polls, which the network and a
 * busy server shift by some milliseconds. Without slack an honest device would now and then be slowed down.
 */
export const POLL_SLACK_MS = 500;

/** The interval is never grown past this, so a misbehaving device is slowed, not locked out for the lifetime. */
export const MAX_POLL_INTERVAL_SECONDS = 60;

/** What the token endpoint does with a poll (RFC 8628 §3.5). */
export type PollDecision =
  | { answer: 'issue' }
  | { answer: 'authorization_pending' }
  | { answer: 'slow_down'; intervalSeconds: number }
  | { answer: 'access_denied' }
  | { answer: 'expired_token' }
  | { answer: 'already_used' };

/**
 * Decides a poll of a device authorization at `nowMs`. Spent and expired come first; then the person's answer,
 * which is given at once whatever the interval (the request is no longer pending, so §3.5's slowing does not
 * apply); a pending request polled sooner than its interval (less {@link POLL_SLACK_MS}) after the last poll is
 * `slow_down` with the interval grown by 5 s.
 */
export function decidePoll(record: DeviceAuthorizationRecord, nowMs: number): PollDecision {
  if (record.issuedAtMs !== undefined) return { answer: 'already_used' };
  if (nowMs >= record.createdAtMs + DEVICE_CODE_LIFETIME_MS) return { answer: 'expired_token' };
  if (record.decision !== undefined)
    return record.decision.approved ? { answer: 'issue' } : { answer: 'access_denied' };
  const last = record.lastPollAtMs;
  if (last !== undefined && nowMs - last < record.intervalSeconds * 1000 - POLL_SLACK_MS) {
    const intervalSeconds = Math.min(
      record.intervalSeconds + SLOW_DOWN_STEP_SECONDS,
      MAX_POLL_INTERVAL_SECONDS,
    );
    return { answer: 'slow_down', intervalSeconds };
  }
  return { answer: 'authorization_pending' };
}

/**
 * Whether the verification page may still ask a person about this authorization: usable, unanswered, unspent.
 */
export function awaitsPerson(record: DeviceAuthorizationRecord, nowMs: number): boolean {
  return (
    record.issuedAtMs === undefined &&
    record.decision === undefined &&
    nowMs < record.createdAtMs + DEVICE_CODE_LIFETIME_MS
  );
}
