import type { KindName } from '../api/kinds.ts';
import type { Resolution } from '../store/compile.ts';
import type { SecretAction } from './client-secret-rotation.ts';
import { desiredStatus, statusChanged, type ObjectStatus } from './status.ts';

/** What deciding whether an object is out of date reads. */
export interface StalenessInput {
  kind: KindName;
  resolution: Resolution;
  /** The status as cached. */
  status: ObjectStatus | undefined;
  now: number;
  /** An OAuthClient's Secret step, decided from the same caches. */
  secretAction?: SecretAction['kind'];
  /** A Connection: whether its issuer was checked by this replica yet. */
  connectionChecked?: boolean;
}

/**
 * Decide: whether the object needs a reconcile. Its written status differs from what the store decided, or
 * its Secret needs a write, or it is a Connection whose issuer this replica has not checked.
 */
export function isStale(input: StalenessInput): boolean {
  if (statusChanged(input.status, desiredStatus(input.resolution, input.status, input.now))) return true;
  if (input.kind === 'OAuthClient' && input.secretAction !== undefined && input.secretAction !== 'none')
    return true;
  return input.kind === 'Connection' && input.connectionChecked === false;
}
