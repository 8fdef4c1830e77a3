import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { vetAddress, type AddressPolicy } from './address-policy.ts';

/** The `code` of the error a connection gets when every address of its host is refused. */
export const ADDRESS_NOT_ALLOWED = 'LATCHKEY_ADDRESS_NOT_ALLOWED';

/** Refused by the {@link AddressPolicy}; `reason` is safe to show to the tenant who wrote the URL. */
export class AddressNotAllowedError extends Error {
  readonly code = ADDRESS_NOT_ALLOWED;
  readonly reason: string;
  constructor(reason: string) {
    super(`address not allowed: ${reason}`);
    this.reason = reason;
    this.name = 'AddressNotAllowedError';
  }
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

export type Resolver = (
  hostname: string,
  options: LookupOptions & { all: true },
  callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

/**
 * A `lookup` for `net.connect` / `tls.connect` (and so undici's `connect` option) that resolves a name and
 * hands back only the addresses the policy allows: the connection goes to an address that was vetted, so
 * a name that resolves to a public address for a check and to 127.0.0.1 for the connect (DNS rebinding)
 * gets nowhere. IP literals never reach a lookup: {@link vetUrl} judges them before any request.
 *
 * @example
 * new Agent({ connect: { lookup: vettedLookup(policy) } });
 */
export function vettedLookup(policy: AddressPolicy, resolve: Resolver = dnsLookup as unknown as Resolver) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err !== null) {
        callback(err, []);
        return;
      }
      const verdicts = addresses.map((a) => ({ a, verdict: vetAddress(a.address, policy, hostname) }));
      const allowed = verdicts.filter((v) => v.verdict.ok).map((v) => v.a);
      const first = allowed[0];
      if (first === undefined) {
        const refused = verdicts.find((v) => !v.verdict.ok)?.verdict;
        const reason = refused !== undefined && !refused.ok ? refused.reason : `${hostname} has no address`;
        callback(new AddressNotAllowedError(reason), []);
        return;
      }
      if (options.all === true) callback(null, allowed);
      else callback(null, first.address, first.family);
    });
  };
}
