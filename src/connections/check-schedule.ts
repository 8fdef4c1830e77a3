import type { Clock } from '../clock.ts';
import type { ConnectionCheck } from '../store/objects.ts';

/** How often an issuer that passed is checked again: its keys may have rotated. */
export const CONNECTION_REFRESH_MS = 3_600_000;

/**
 * At most one early check per Connection in this interval, whatever the requests say: the signal comes from
 * tokens whose signature cannot be checked (their key is the unknown one), so anyone can send it, and it
 * must not let anyone make Latchkey hammer an issuer. The same interval as a client's `jwksUri` refresh.
 */
export const EARLY_CHECK_COOLDOWN_MS = 30_000;

/** A Connection, as the store snapshot's `connectionsByIssuer` lists it. */
export interface ConnectionRef {
  namespace: string;
  name: string;
}

export interface EarlyIssuerChecksOptions {
  now: Clock;
  /** The Connections whose check passed, by the issuer found: the current snapshot's `connectionsByIssuer`. */
  connectionsByIssuer: () => ReadonlyMap<string, readonly ConnectionRef[]>;
  /** Checks a Connection again soon; must return at once (it adds the Connection to its work queue). */
  check: (connection: ConnectionRef) => void;
}

/**
 * Turns "a federated token named a key its issuer's Connections lack" (the `issuer.unknownKey` event) into
 * early checks of those Connections, so a key rotation at the issuer is picked up within seconds rather than
 * at the periodic check. Every Connection of the issuer is checked, not only the ones the refused client
 * trusts: they all hold the same outdated keys.
 *
 * @example
 * const early = new EarlyIssuerChecks({
 *   now: systemClock,
 *   connectionsByIssuer: () => store.current().connectionsByIssuer,
 *   check: ({ namespace, name }) => queue.add(objectKey('Connection', namespace, name)),
 * });
 * events.on('issuer.unknownKey', ({ issuer }) => early.request(issuer));
 */
export class EarlyIssuerChecks {
  readonly #options: EarlyIssuerChecksOptions;
  /** When each Connection (`namespace/name`) was last checked early. */
  readonly #checkedAt = new Map<string, number>();

  constructor(options: EarlyIssuerChecksOptions) {
    this.#options = options;
  }

  /**
   * Asks for early checks of the Connections of `issuer`; those checked early within the cooldown are
   * skipped. Returns the Connections (`namespace/name`) whose check was asked for now.
   */
  request(issuer: string): string[] {
    const connections = this.#options.connectionsByIssuer().get(issuer) ?? [];
    const now = this.#options.now();
    const asked: string[] = [];
    for (const connection of connections) {
      const key = `${connection.namespace}/${connection.name}`;
      const last = this.#checkedAt.get(key);
      // A clock that stepped back must not hold the checks off for as long as it stepped.
      if (last !== undefined && last <= now && now - last < EARLY_CHECK_COOLDOWN_MS) continue;
      this.#checkedAt.set(key, now);
      asked.push(key);
      this.#options.check(connection);
    }
    if (asked.length > 0) this.#forgetExpired(now);
    return asked;
  }

  /** Deleted Connections would otherwise stay here for good. */
  #forgetExpired(now: number): void {
    for (const [key, at] of this.#checkedAt) {
      if (now - at >= EARLY_CHECK_COOLDOWN_MS) this.#checkedAt.delete(key);
    }
  }
}

/**
 * The check to keep after a new one: a failed check keeps the keys the previous check of the same spec found
 * (or kept), so an issuer that is briefly unreachable refuses no federated token while status says it is
 * unreachable. Pass `before` only when the spec has not changed since: another issuer's keys must not carry over.
 *
 * @example
 * const check = keepLastGood(await checkConnection(spec), sameSpec ? previous : undefined);
 */
export function keepLastGood(fresh: ConnectionCheck, before: ConnectionCheck | undefined): ConnectionCheck {
  if (fresh.ok || before === undefined) return fresh;
  const lastGood = before.ok
    ? { issuer: before.issuer, jwksUri: before.jwksUri, jwks: before.jwks }
    : before.lastGood;
  return lastGood === undefined ? fresh : { ...fresh, lastGood };
}
