import { GROUP, VERSION } from '../api/common.ts';
import { KINDS, type KindName } from '../api/kinds.ts';
import type { ResourceType } from '../kube/types.ts';

/** The API collection of each Latchkey kind. */
export const KIND_RESOURCES: ReadonlyMap<KindName, ResourceType> = new Map(
  KINDS.map((k) => [k.kind, { group: GROUP, version: VERSION, plural: k.plural, namespaced: true }]),
);

export function resourceOf(kind: KindName): ResourceType {
  return KIND_RESOURCES.get(kind) as ResourceType;
}

/** The controller name of a kind in metrics and logs, as controller-runtime names them: lowercase kind. */
export function controllerName(kind: KindName): string {
  return kind.toLowerCase();
}
