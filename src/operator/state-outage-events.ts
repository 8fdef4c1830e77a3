import type { EventBus } from '../events.ts';
import type { EventRecorder, Regarding } from './recorder.ts';

/**
 * The runtime state's outages as Events on this replica's Pod, once per outage (the health tracker emits on
 * transitions only), so `kubectl describe pod` says why client assertions and introspection answer 503. Returns the unsubscribe.
 */
export function recordStateOutages(events: EventBus, recorder: EventRecorder, pod: Regarding): () => void {
  const off = [
    events.on('state.unavailable', (e) => {
      const note = `the runtime state (${e.backend}) does not answer: ${e.message}; client assertions, introspection and revocation answer temporarily_unavailable until it does`;
      void recorder.record(pod, 'Warning', 'RuntimeStateUnavailable', 'Serve', note);
    }),
    events.on('state.recovered', (e) => {
      const note = `the runtime state (${e.backend}) answers again after ${e.downSeconds}s`;
      void recorder.record(pod, 'Normal', 'RuntimeStateRecovered', 'Serve', note);
    }),
  ];
  return () => off.forEach((unsubscribe) => unsubscribe());
}
