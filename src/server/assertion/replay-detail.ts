import type { ReplayBound } from '../../runtime/replay-admission.ts';
import type { ReplayOwner } from '../../runtime/replay-cache.ts';
import { quote } from '../errors.ts';

/** The private detail of a refusal, for the operator's log: which bound, and the option that sets it. */
export function replayRefusalDetail(bound: ReplayBound, owner: ReplayOwner): string {
  switch (bound) {
    case 'client-ceiling':
      return `client ${quote(owner.clientId)} holds as many unexpired assertions as one client may (--replay-per-client)`;
    case 'client-share':
      return `the replay cache is at capacity (--replay-capacity) and client ${quote(owner.clientId)} holds its fair part of namespace ${quote(owner.namespace)}'s share`;
    case 'namespace-share':
      return `the replay cache is at capacity (--replay-capacity) and namespace ${quote(owner.namespace)} holds more than its fair share`;
    case 'hard-ceiling':
      return 'the replay cache is at its hard ceiling (1.25 times --replay-capacity)';
  }
}
