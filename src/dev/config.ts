import { resolve as resolvePath } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../config-error.ts';
import { portOption } from '../options.ts';
import { addressPolicyOption, STRICT_POLICY, type AddressPolicy } from '../outbound/address-policy.ts';
import { issuerUrls } from '../server/issuer.ts';
import {
  HTTP_LIMIT_OPTIONS,
  HTTP_LIMITS_USAGE,
  httpLimitsOption,
  type HttpLimits,
} from '../server/http-limits.ts';
import {
  REPLAY_LIMIT_OPTIONS,
  REPLAY_PER_CLIENT_USAGE,
  REPLAY_CAPACITY_IGNORED_USAGE,
  replayLimitsOption,
  type ReplayLimits,
} from '../runtime/replay-admission.ts';
import { checkIssuerScheme, tlsFilesOption, type TlsFiles } from '../server/tls.ts';

export interface DevConfig {
  manifestsDir: string;
  stateDir: string;
  host: string;
  port: number;
  opsPort: number;
  /** Undefined: `http://127.0.0.1:<port>` (`https://` with `tls`) once the port is bound. */
  issuer?: string;
  /** Undefined: the token port speaks plain HTTP. */
  tls?: TlsFiles;
  logFormat: 'text' | 'json';
  watch: boolean;
  /** Contact each `oidc` Connection's issuer as the operator does; unset or false: dev mode makes no outbound request. */
  checkConnections?: boolean;
  /** Timeouts and the connection cap of the token and ops ports. */
  httpLimits?: HttpLimits;
  /** Capacity and per-client ceiling of the client assertion replay cache. */
  replayLimits?: ReplayLimits;
  /**
   * Which addresses Connection issuers (under --check-connections) and clients' `jwksUri` may have; default
   * {@link DEV_ADDRESS_POLICY}.
   */
  issuerPolicy?: AddressPolicy;
}

/** Dev mode runs on a developer's machine: its issuers and key servers may be local. */
export const DEV_ADDRESS_POLICY: AddressPolicy = Object.freeze({ ...STRICT_POLICY, allowLoopback: true });

export const BUNDLED_EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));

export const DEV_USAGE = `Usage: latchkey dev [options]

Serves the manifests of a folder with the embedded store: no cluster needed.

Options:
  --manifests DIR   folder of manifests, read recursively (default: the bundled examples/)
  --state-dir DIR   where generated Secrets, signing keys and runtime state (runtime-state.sqlite: assertion
                    ids against replay, revoked tokens) are kept (default: ./.latchkey)
  --port N          token server port (default: 8080)
  --ops-port N      health and metrics port (default: 8081)
  --host ADDR       address to bind (default: 127.0.0.1)
  --issuer URL      issuer URL (default: http://127.0.0.1:<port>, https:// with --tls-cert)
  --tls-cert PATH   serve HTTPS with this PEM certificate (chain), reloaded when the file changes
  --tls-key PATH    the PEM private key of --tls-cert (both or neither; default: plain HTTP)
  --log-format F    text or json (default: text)
  --no-watch        do not reload when manifests change
  --check-connections
                    fetch each oidc Connection's discovery document and JWKS as the operator does (on load,
                    on every reload, hourly), so federated tokens are accepted; kubernetes Connections need
                    a cluster and stay unchecked (default: off, no outbound requests). Issuers must use
                    https or be on this machine (localhost, loopback); link-local and metadata addresses
                    are refused
  --allow-issuer-hosts LIST
                    host names and IP networks issuers may use although refused (plain http included)
  --deny-issuer-networks LIST
                    IP networks (CIDR) issuers must not resolve to, e.g. 10.0.0.0/8
${HTTP_LIMITS_USAGE}${REPLAY_PER_CLIENT_USAGE}${REPLAY_CAPACITY_IGNORED_USAGE}`;

/** Accepts an issuer with trailing slashes (people paste them) and checks the rest strictly. */
export function normalizeIssuer(value: string): string {
  return issuerUrls(value.replace(/\/+$/, ''), '--issuer').issuer;
}

export function parseDevArgs(argv: readonly string[], cwd: string): DevConfig {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        manifests: { type: 'string' },
        'state-dir': { type: 'string' },
        port: { type: 'string' },
        'ops-port': { type: 'string' },
        host: { type: 'string' },
        issuer: { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'log-format': { type: 'string' },
        watch: { type: 'boolean', default: true },
        'no-watch': { type: 'boolean' },
        'check-connections': { type: 'boolean', default: false },
        ...HTTP_LIMIT_OPTIONS,
        ...REPLAY_LIMIT_OPTIONS,
        'allow-issuer-hosts': { type: 'string' },
        'deny-issuer-networks': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new ConfigError('options', (err as Error).message);
  }
  const logFormat = values['log-format'] ?? 'text';
  if (logFormat !== 'text' && logFormat !== 'json')
    throw new ConfigError('--log-format', 'must be text or json');
  const resolve = (p: string) => resolvePath(cwd, p);
  const tls = tlsFilesOption(values['tls-cert'], values['tls-key'], resolve);
  const issuer = values.issuer === undefined ? undefined : normalizeIssuer(values.issuer);
  if (issuer !== undefined) checkIssuerScheme(issuer, tls !== undefined, '--issuer');
  return {
    manifestsDir: values.manifests !== undefined ? resolve(values.manifests) : BUNDLED_EXAMPLES,
    stateDir: resolve(values['state-dir'] ?? '.latchkey'),
    host: values.host ?? '127.0.0.1',
    port: portOption(values.port, '--port', 8080),
    opsPort: portOption(values['ops-port'], '--ops-port', 8081),
    ...(issuer !== undefined ? { issuer } : {}),
    ...(tls !== undefined ? { tls } : {}),
    logFormat,
    watch: values['no-watch'] !== true,
    checkConnections: values['check-connections'],
    httpLimits: httpLimitsOption(values),
    replayLimits: replayLimitsOption(values),
    issuerPolicy: addressPolicyOption(values['allow-issuer-hosts'], values['deny-issuer-networks'], true),
  };
}
