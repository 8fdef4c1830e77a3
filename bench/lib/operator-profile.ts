/**
 * The operator's CPU profiles as `npm run bench:reconcile` and `bench:scale` summarize them: profile.ts with
 * the functions of a rebuild and a reconcile always reported.
 */

import { summarizeProfile as summarize, type ProfileSummary } from './profile.ts';

/** Functions the bench always reports, whether or not they make the top list. */
export const WATCHED = [
  'rebuild src/operator/controller.ts',
  'compile src/store/compile.ts',
  'rebuild src/store/store.ts',
  'enqueueStale src/operator/controller.ts',
  'statusChanged src/operator/status.ts',
  'clientSecretStep src/operator/client-secret-step.ts',
  'declared src/operator/declared-cache.ts',
  '(anonymous) src/log.ts',
  'reconcile src/operator/controller.ts',
  '(garbage collector)',
];

/** Top `top` functions by self and by inclusive time, and the {@link WATCHED} ones. */
export function summarizeProfile(path: string, top = 15): Promise<ProfileSummary> {
  return summarize(path, top, { watched: WATCHED });
}
