import { API_VERSION } from '../api/common.ts';
import type { Clock } from '../clock.ts';
import { EVENTS, type KubeApi, type KubeObject } from '../kube/types.ts';

/** The object an Event is about. */
export interface Regarding {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  uid?: string;
}

export interface EventRecorder {
  /** Records an events.k8s.io/v1 Event; `note` must never hold a secret. Failures are reported, not thrown. */
  record(
    regarding: Regarding,
    type: 'Normal' | 'Warning',
    reason: string,
    action: string,
    note: string,
  ): Promise<void>;
}

const REPORTING_CONTROLLER = 'latchkey.dev/operator';
// events.k8s.io/v1 limits note to 1 kB.
const MAX_NOTE = 1024;

/** Kubernetes `MicroTime`: RFC 3339 with microseconds. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export function createRecorder(
  api: Pick<KubeApi, 'create'>,
  options: { instance: string; now: Clock; onError: (err: Error) => void },
): EventRecorder {
  return {
    async record(regarding, type, reason, action, note) {
      try {
        await api.create(EVENTS, regarding.namespace, {
          apiVersion: 'events.k8s.io/v1',
          kind: 'Event',
          metadata: {
            name: `${regarding.name}.${options.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`,
            namespace: regarding.namespace,
          },
          eventTime: microTime(options.now()),
          reportingController: REPORTING_CONTROLLER,
          reportingInstance: options.instance,
          action,
          reason,
          note: note.length > MAX_NOTE ? `${note.slice(0, MAX_NOTE - 1)}…` : note,
          type,
          regarding: {
            apiVersion: regarding.apiVersion,
            kind: regarding.kind,
            namespace: regarding.namespace,
            name: regarding.name,
            ...(regarding.uid !== undefined ? { uid: regarding.uid } : {}),
          },
        });
      } catch (err) {
        options.onError(err as Error);
      }
    },
  };
}

/** The Latchkey object `o` of `kind` as an Event's `regarding`. */
export function regardingOf(kind: string, o: KubeObject): Regarding {
  return {
    apiVersion: API_VERSION,
    kind,
    namespace: o.metadata.namespace ?? '',
    name: o.metadata.name,
    ...(o.metadata.uid ? { uid: o.metadata.uid } : {}),
  };
}
