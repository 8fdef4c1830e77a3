import type { KindName } from '../api/kinds.ts';
import type { Clock } from '../clock.ts';
import type { KubeApi, KubeObject } from '../kube/types.ts';
import type { Resolution } from '../store/compile.ts';
import { regardingOf, type EventRecorder } from './recorder.ts';
import { resourceOf } from './resources.ts';
import { desiredStatus, statusChanged, statusNews, statusPatch, type ObjectStatus } from './status.ts';

export interface StatusWriteDeps {
  api: Pick<KubeApi, 'patch'>;
  recorder: EventRecorder;
  now: Clock;
}

/**
 * Apply: writes the status the resolution decides through the status subresource, only when it changed, and
 * records an Event when {@link statusNews} says the change is worth one.
 */
export async function writeStatus(
  deps: StatusWriteDeps,
  kind: KindName,
  o: KubeObject,
  resolution: Resolution,
  waitingForOwnSecret: (reason: string) => boolean,
): Promise<void> {
  const current = o['status'] as ObjectStatus | undefined;
  const next = desiredStatus(resolution, current, deps.now());
  if (!statusChanged(current, next)) return;
  await deps.api.patch(
    resourceOf(kind),
    o.metadata.namespace,
    o.metadata.name,
    { status: statusPatch(current, next) },
    { subresource: 'status' },
  );
  const news = statusNews(current, next, waitingForOwnSecret);
  if (news !== undefined) {
    await deps.recorder.record(regardingOf(kind, o), news.type, news.reason, 'Reconcile', news.message);
  }
}
