import type { Informer, InformerEvent, KubeObject } from '../kube/types.ts';

/**
 * One view over several informers of the same kind (one per watched namespace), so the controller
 * sees a single collection whatever `--namespaces` says.
 */
export function combineInformers<T extends KubeObject>(parts: readonly Informer<T>[]): Informer<T> {
  if (parts.length === 1) return parts[0] as Informer<T>;
  return {
    start(signal) {
      for (const p of parts) p.start(signal);
    },
    async synced() {
      await Promise.all(parts.map((p) => p.synced()));
    },
    hasSynced() {
      return parts.every((p) => p.hasSynced());
    },
    get(namespace, name) {
      for (const p of parts) {
        const found = p.get(namespace, name);
        if (found) return found;
      }
      return undefined;
    },
    list() {
      return parts.flatMap((p) => p.list());
    },
    on(handler: (event: InformerEvent<T>) => void) {
      const offs = parts.map((p) => p.on(handler));
      return () => {
        for (const off of offs) off();
      };
    },
  };
}
