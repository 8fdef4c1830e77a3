import { resolve as resolvePath } from 'node:path';
import { MANAGEMENT_RATE_LIMIT_OPTION, managementRateLimitOption } from '../management/rate-limit.ts';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../config-error.ts';
import { LOG_LEVEL_OPTION, logLevelOption, type LogLevel } from '../log-level.ts';
import { portOption } from '../options.ts';
import { formatUsage, parseOptions, type CommandDef, type OptionDef } from '../option-table.ts';
import { addressPolicyOption, STRICT_POLICY, type AddressPolicy } from '../outbound/address-policy.ts';
import {
  SIGN_IN_LIMIT_OPTIONS,
  signInLimitsOption,
  userCodeLimitsOption,
} from '../people/throttle-options.ts';
import type { UserCodeLimits } from '../people/device/user-code-throttle.ts';
import type { SignInLimits } from '../people/throttle.ts';
import { issuerUrls } from '../server/issuer.ts';
import { HTTP_LIMIT_OPTIONS, httpLimitsOption, type HttpLimits } from '../server/http-limits.ts';
import {
  REPLAY_PER_CLIENT_OPTION,
  replayPerClientOption,
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
  /** The least severe log lines written (`--log-level`); undefined: info. */
  logLevel?: LogLevel;
  watch: boolean;
  /** Contact each `oidc` Connection's issuer as the operator does; unset or false: dev mode makes no outbound request. */
  checkConnections?: boolean;
  /** Timeouts and the connection cap of the token and ops ports. */
  httpLimits?: HttpLimits;
  /** Capacity and per-client ceiling of the client assertion replay cache. */
  replayLimits?: ReplayLimits;
  /** Failed sign-ins allowed per person and per address (`--sign-in-failures-*`). */
  signInLimits?: SignInLimits;
  /** Management API requests one client may make per minute on each replica. */
  managementRateLimit?: number;
  /** Wrong device codes allowed per browser and per address (`--device-code-failures-*`). */
  userCodeLimits?: UserCodeLimits;
  /**
   * Which addresses Connection issuers (under --check-connections) and clients' `jwksUri` may have; default
   * {@link DEV_ADDRESS_POLICY}.
   */
  issuerPolicy?: AddressPolicy;
}

/** Dev mode runs on a developer's machine: its issuers and key servers may be local. */
export const DEV_ADDRESS_POLICY: AddressPolicy = Object.freeze({ ...STRICT_POLICY, allowLoopback: true });

export const BUNDLED_EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));

/** Every option of `latchkey dev`, in the order the usage text lists them. */
export const DEV_OPTIONS = [
  {
    name: 'manifests',
    type: 'string',
    value: 'DIR',
    defaultText: 'the bundled examples/',
    description: 'folder of manifests, read recursively',
  },
  {
    name: 'state-dir',
    type: 'string',
    value: 'DIR',
    default: '.latchkey',
    description:
      'where generated Secrets, signing keys and runtime state (runtime-state.sqlite: assertion ids against replay, revoked tokens) are kept',
  },
  { name: 'port', type: 'string', value: 'N', default: '8080', description: 'token server port' },
  {
    name: 'ops-port',
    type: 'string',
    value: 'N',
    default: '8081',
    description: 'health, readiness and metrics port',
  },
  { name: 'host', type: 'string', value: 'ADDR', default: '127.0.0.1', description: 'address to bind' },
  {
    name: 'issuer',
    type: 'string',
    value: 'URL',
    defaultText: 'http://127.0.0.1:<port>, https:// with --tls-cert',
    description: 'issuer URL',
  },
  {
    name: 'tls-cert',
    type: 'string',
    value: 'PATH',
    defaultText: 'plain HTTP',
    description: 'serve HTTPS with this PEM certificate (chain), reloaded when the file changes',
  },
  {
    name: 'tls-key',
    type: 'string',
    value: 'PATH',
    defaultText: 'plain HTTP',
    description: 'the PEM private key of --tls-cert; both or neither',
  },
  { name: 'log-format', type: 'string', value: 'F', default: 'text', description: 'text or json' },
  LOG_LEVEL_OPTION,
  { name: 'no-watch', type: 'boolean', description: 'do not reload when manifests change' },
  {
    name: 'check-connections',
    type: 'boolean',
    defaultText: 'off, no outbound requests',
    description:
      "fetch each oidc Connection's discovery document and JWKS as the operator does (on load, on every reload, hourly), so federated tokens are accepted; kubernetes Connections need a cluster and stay unchecked. Issuers must use https or be on this machine (localhost, loopback); link-local and metadata addresses are refused",
  },
  {
    name: 'allow-issuer-hosts',
    type: 'string',
    value: 'LIST',
    defaultText: 'none',
    description: 'host names and IP networks issuers may use although refused (plain http included)',
  },
  {
    name: 'deny-issuer-networks',
    type: 'string',
    value: 'LIST',
    defaultText: 'none',
    description: 'IP networks (CIDR) issuers must not resolve to, e.g. 10.0.0.0/8',
  },
  ...HTTP_LIMIT_OPTIONS,
  REPLAY_PER_CLIENT_OPTION,
  ...SIGN_IN_LIMIT_OPTIONS,
  MANAGEMENT_RATE_LIMIT_OPTION,
] as const satisfies readonly OptionDef[];

export const DEV_COMMAND: CommandDef = {
  name: 'dev',
  synopsis: 'latchkey dev [options]',
  description: ['Serves the manifests of a folder with the embedded store: no cluster needed.'],
  options: DEV_OPTIONS,
};

export const DEV_USAGE = formatUsage(DEV_COMMAND);

/** Accepts an issuer with trailing slashes (people paste them) and checks the rest strictly. */
export function normalizeIssuer(value: string): string {
  return issuerUrls(value.replace(/\/+$/, ''), '--issuer').issuer;
}

export function parseDevArgs(argv: readonly string[], cwd: string): DevConfig {
  const { values } = parseOptions(DEV_OPTIONS, argv, false, 'dev');
  const logFormat = values['log-format'] ?? 'text';
  if (logFormat !== 'text' && logFormat !== 'json')
    throw new ConfigError('--log-format', 'must be text or json');
  const logLevel = logLevelOption(values['log-level']);
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
    logLevel,
    watch: values['no-watch'] !== true,
    checkConnections: values['check-connections'] === true,
    httpLimits: httpLimitsOption(values),
    replayLimits: replayPerClientOption(values),
    signInLimits: signInLimitsOption(values),
    managementRateLimit: managementRateLimitOption(values),
    userCodeLimits: userCodeLimitsOption(values),
    issuerPolicy: addressPolicyOption(values['allow-issuer-hosts'], values['deny-issuer-networks'], true),
  };
}
