import { ConfigError } from '../config-error.ts';
import {
  canonicalHost,
  embeddedIpv4,
  inNetwork,
  parseIp,
  parseNetwork,
  type IpAddress,
  type Network,
} from './ip.ts';

/**
 * Which addresses Latchkey may contact for a URL a tenant wrote (a Connection's issuer and the `jwks_uri` its
 * discovery names). Set by whoever runs Latchkey (command-line options), never by a manifest.
 */
export interface AddressPolicy {
  /**
   * Host names (lower case, no trailing dot) that may be contacted over plain http and at any address: an
   * in-cluster provider the operator trusts, e.g. `dex.dex.svc.cluster.local`.
   */
  allowHosts: readonly string[];
  /** Networks that may be contacted although refused by default (loopback, link-local, …) or denied. */
  allowNetworks: readonly Network[];
  /** Networks refused on top of the built-in ones, e.g. the private ranges when no issuer lives there. */
  denyNetworks: readonly Network[];
  /** Dev mode: loopback addresses, and plain http to `localhost` or a loopback address, are allowed. */
  allowLoopback: boolean;
}

/** The operator's default: https only, and none of the built-in refused addresses. */
export const STRICT_POLICY: AddressPolicy = Object.freeze({
  allowHosts: [],
  allowNetworks: [],
  denyNetworks: [],
  allowLoopback: false,
});

export type Verdict = { ok: true } | { ok: false; reason: string };

const OK: Verdict = { ok: true };

/** Why an address is refused whatever DNS says, most specific first. Private ranges are not here: see docs. */
const REFUSED: readonly { networks: readonly Network[]; what: string }[] = [
  {
    what: 'a cloud metadata address',
    // AWS/GCP/Azure/OpenStack, AWS ECS task metadata, Alibaba, Oracle, AWS over IPv6.
    networks: ['169.254.169.254', '169.254.170.2', '100.100.100.200', '192.0.0.192', 'fd00:ec2::254'].map(
      parseNetwork,
    ),
  },
  { what: 'an unspecified address', networks: ['0.0.0.0/8', '::/128'].map(parseNetwork) },
  { what: 'a loopback address', networks: ['127.0.0.0/8', '::1/128'].map(parseNetwork) },
  { what: 'a link-local address', networks: ['169.254.0.0/16', 'fe80::/10'].map(parseNetwork) },
  {
    what: 'a multicast or reserved address',
    networks: ['224.0.0.0/4', '240.0.0.0/4', 'ff00::/8'].map(parseNetwork),
  },
];

/** Names that are loopback or metadata whatever a resolver says (RFC 6761 §6.3 for `localhost`). */
const METADATA_NAMES = new Set(['metadata', 'metadata.google.internal', 'metadata.goog']);
const isLocalhost = (host: string) => host === 'localhost' || host.endsWith('.localhost');

/**
 * Decides whether Latchkey may fetch `url` before anything is resolved: the scheme (https; plain http only
 * for a host the policy allows), and the host when it is an IP literal or a name that is always local.
 * A name that passes is judged again by {@link vetAddress} for every address it resolves to.
 *
 * @example
 * vetUrl(new URL('http://169.254.169.254/latest'), STRICT_POLICY);
 * // {ok: false, reason: 'plain http is allowed only for hosts the operator lists in --allow-issuer-hosts'}
 */
export function vetUrl(url: URL, policy: AddressPolicy): Verdict {
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return { ok: false, reason: 'it is not an https URL' };
  if (url.username !== '' || url.password !== '')
    return { ok: false, reason: 'it must not carry credentials' };
  const host = canonicalHost(url.hostname);
  if (host === undefined) return { ok: false, reason: 'its host is not valid' };
  if (policy.allowHosts.includes(host)) return OK;
  const ip = parseIp(host);
  const loopbackHost = isLocalhost(host) || (ip !== undefined && category(ip) === 'a loopback address');
  if (url.protocol === 'http:') {
    const allowed =
      (policy.allowLoopback && loopbackHost) ||
      (ip !== undefined && policy.allowNetworks.some((n) => inNetwork(ip, n)));
    if (!allowed) {
      return {
        ok: false,
        reason: policy.allowLoopback
          ? 'plain http is allowed only for localhost, a loopback address or a host in --allow-issuer-hosts'
          : 'plain http is allowed only for hosts the operator lists in --allow-issuer-hosts',
      };
    }
  }
  if (ip !== undefined) return vetAddress(host, policy, host);
  if (isLocalhost(host) && !policy.allowLoopback) return refused(host, 'a loopback address', false);
  if (METADATA_NAMES.has(host)) return refused(host, 'a cloud metadata address', false);
  return OK;
}

/**
 * Decides whether Latchkey may connect to `address`, one that `hostname` resolved to (or the literal itself).
 *
 * @example
 * vetAddress('::ffff:7f00:1', STRICT_POLICY, 'sso.example.com');
 * // {ok: false, reason: 'sso.example.com resolves to a loopback address'}
 */
export function vetAddress(address: string, policy: AddressPolicy, hostname: string): Verdict {
  const host = canonicalHost(hostname) ?? hostname;
  if (policy.allowHosts.includes(host)) return OK;
  const ip = parseIp(address);
  if (ip === undefined)
    return { ok: false, reason: `${host} resolves to something that is not an IP address` };
  const resolved = parseIp(host) === undefined;
  const v4 = embeddedIpv4(ip);
  const within = (networks: readonly Network[]) =>
    networks.some((n) => inNetwork(ip, n) || (v4 !== undefined && inNetwork(v4, n)));
  if (within(policy.allowNetworks)) return OK;
  const what = category(v4 ?? ip);
  if (what === 'a loopback address' && policy.allowLoopback) return OK;
  if (what !== undefined) return refused(host, what, resolved);
  if (within(policy.denyNetworks)) {
    return refused(host, 'an address the operator denies (--deny-issuer-networks)', resolved);
  }
  return OK;
}

function category(ip: IpAddress): string | undefined {
  return REFUSED.find((r) => r.networks.some((n) => inNetwork(ip, n)))?.what;
}

function refused(host: string, what: string, resolved: boolean): Verdict {
  return { ok: false, reason: `${host} ${resolved ? 'resolves to' : 'is'} ${what}` };
}

/**
 * The policy the command line sets: `--allow-issuer-hosts` (host names and IP networks, comma-separated) and
 * `--deny-issuer-networks` (IP networks).
 *
 * @throws {ConfigError} naming the option and the entry that is neither a host name nor a network
 * @example
 * addressPolicyOption('dex.dex.svc.cluster.local,10.96.0.0/12', '10.0.0.0/8', false);
 */
export function addressPolicyOption(
  allowHosts: string | undefined,
  denyNetworks: string | undefined,
  allowLoopback: boolean,
): AddressPolicy {
  const entries = (list: string | undefined) =>
    (list ?? '')
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e !== '');
  const network = (entry: string, option: string): Network => {
    try {
      return parseNetwork(entry);
    } catch (err) {
      throw new ConfigError(option, (err as Error).message);
    }
  };
  const policy = { allowHosts: [] as string[], allowNetworks: [] as Network[], allowLoopback };
  for (const entry of entries(allowHosts)) {
    if (/^[0-9.]+(\/\d+)?$/.test(entry) || entry.includes(':')) {
      policy.allowNetworks.push(network(entry, '--allow-issuer-hosts'));
      continue;
    }
    const host = canonicalHost(entry);
    if (host === undefined || !/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(host)) {
      throw new ConfigError(
        '--allow-issuer-hosts',
        `${JSON.stringify(entry)} is not a host name or IP network`,
      );
    }
    policy.allowHosts.push(host);
  }
  return { ...policy, denyNetworks: entries(denyNetworks).map((e) => network(e, '--deny-issuer-networks')) };
}
