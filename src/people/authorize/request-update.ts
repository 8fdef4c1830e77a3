import type { PeopleDeps } from '../deps.ts';
import type { AuthorizationRequestRecord } from '../records.ts';

/**
 * Records something on a pending authorization request (signed in, consented, an organization chosen) with a
 * compareAndSwap, read again and retried when another replica or tab changed it meanwhile. False when the request
 * is gone (spent, expired) or kept changing under five attempts.
 */
export async function updateAuthorizationRequest(
  deps: Pick<PeopleDeps, 'state' | 'now'>,
  requestId: string,
  change: (request: AuthorizationRequestRecord) => AuthorizationRequestRecord,
): Promise<boolean> {
  const nowMs = deps.now();
  for (let attempt = 0; attempt < 5; attempt++) {
    const stored = await deps.state.get<AuthorizationRequestRecord>(
      'authorization_request',
      requestId,
      nowMs,
    );
    if (stored === undefined) return false;
    const next = {
      value: change(stored.value),
      ...(stored.owner === undefined ? {} : { owner: stored.owner }),
      expiresAtMs: stored.expiresAtMs,
    };
    const swapped = await deps.state.compareAndSwap(
      'authorization_request',
      requestId,
      stored.version,
      next,
      nowMs,
    );
    if (swapped !== undefined) return true;
  }
  return false;
}
