import { KIND_NAMES, type KindName } from '../api/kinds.ts';
import type { Resolution } from './compile.ts';
import { ConditionType } from './reasons.ts';

/** How many objects of a kind are not Ready for one reason. */
export interface NotReadyCount {
  kind: KindName;
  /** The Ready condition's reason: a constant of reasons.ts, so the label stays bounded. */
  reason: string;
  count: number;
}

/** What the store's last compile says about readiness, as the operator's metrics report it. */
export interface ReadinessSummary {
  /** Objects compiled, per kind, every kind listed (0 when none). */
  objects: ReadonlyMap<KindName, number>;
  /** Objects whose Ready condition is not True, by kind and reason, sorted. */
  notReady: readonly NotReadyCount[];
  /** Connections whose last issuer check failed (IssuerVerified False), by namespace, sorted. */
  failingConnections: ReadonlyMap<string, number>;
}

/**
 * Counts the objects of a compile that are not Ready, by kind and reason, and the Connections whose issuer
 * check failed, by namespace. A Connection that dev mode did not check (`DiscoveryNotChecked`, Unknown) is
 * not Ready but not failing either. Pure.
 *
 * @example
 * readinessSummary(store.resolutions().values()).notReady; // [{ kind: 'OAuthClient', reason: 'SecretMissing', count: 2 }]
 */
export function readinessSummary(resolutions: Iterable<Resolution>): ReadinessSummary {
  const objects = new Map<KindName, number>(KIND_NAMES.map((k) => [k, 0]));
  const notReady = new Map<string, NotReadyCount>();
  const failing = new Map<string, number>();
  for (const r of resolutions) {
    objects.set(r.kind, (objects.get(r.kind) ?? 0) + 1);
    if (r.kind === 'Connection' && issuerCheckFailed(r)) {
      failing.set(r.namespace, (failing.get(r.namespace) ?? 0) + 1);
    }
    if (r.ready) continue;
    const reason = r.conditions.find((c) => c.type === ConditionType.Ready)?.reason ?? 'Unknown';
    const key = `${r.kind}/${reason}`;
    const counted = notReady.get(key);
    if (counted === undefined) notReady.set(key, { kind: r.kind, reason, count: 1 });
    else counted.count++;
  }
  return {
    objects,
    notReady: [...notReady.values()].sort(
      (a, b) => a.kind.localeCompare(b.kind) || a.reason.localeCompare(b.reason),
    ),
    failingConnections: new Map([...failing].sort(([a], [b]) => a.localeCompare(b))),
  };
}

function issuerCheckFailed(r: Resolution): boolean {
  return r.conditions.some((c) => c.type === ConditionType.IssuerVerified && c.status === 'False');
}
