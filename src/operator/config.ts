import { hostname } from 'node:os';
import { MANAGEMENT_RATE_LIMIT_OPTION, managementRateLimitOption } from '../management/rate-limit.ts';
import { randomBytes } from 'node:crypto';
import { parseDuration } from '../api/duration.ts';
import { ConfigError } from '../config-error.ts';
import { LOG_LEVEL_OPTION, logLevelOption, type LogLevel } from '../log-level.ts';
import { integerOption, portOption } from '../options.ts';
import {
  formatUsage,
  parseOptions,
  type CommandDef,
  type OptionDef,
  type OptionValues,
} from '../option-table.ts';
import { DEFAULT_ROTATION, type RotationSchedule } from '../keys/signing-key-rotation.ts';
import { addressPolicyOption, type AddressPolicy } from '../outbound/address-policy.ts';
import { issuerUrls } from '../server/issuer.ts';
import { HTTP_LIMIT_OPTIONS, httpLimitsOption, type HttpLimits } from '../server/http-limits.ts';
import {
  SIGN_IN_LIMIT_OPTIONS,
  signInLimitsOption,
  userCodeLimitsOption,
} from '../people/throttle-options.ts';
import type { UserCodeLimits } from '../people/device/user-code-throttle.ts';
import type { SignInLimits } from '../people/throttle.ts';
import { REPLAY_LIMIT_OPTIONS, replayLimitsOption, type ReplayLimits } from '../runtime/replay-admission.ts';
import { checkIssuerScheme, tlsFilesOption, type TlsFiles } from '../server/tls.ts';
import { STATE_OPTIONS, stateOption, type StateConfig } from '../state/state-options.ts';
import { DEFAULT_LATCHKEY_NAMESPACE } from '../management/scopes.ts';

export interface OperatorConfig {
  /** Undefined: in-cluster configuration. */
  kubeconfig?: string;
  /** Undefined: every namespace. */
  namespaces?: string[];
  /** Where the signing keys Secret and the Lease live. */
  namespace: string;
  issuer: string;
  /** Undefined: the token port speaks plain HTTP. */
  tls?: TlsFiles;
  host: string;
  port: number;
  opsPort: number;
  identity: string;
  leaseName: string;
  leaseDurationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
  concurrency: number;
  logFormat: 'text' | 'json';
  /** The least severe log lines written (`--log-level`); undefined: info. */
  logLevel?: LogLevel;
  /** When signing keys rotate: interval, pre-publish period, and the clock skew retired keys allow for. */
  keyRotation: RotationSchedule;
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
  /** Where runtime state lives; undefined: embedded in memory (`--state embedded` without `--state-path`). */
  state?: StateConfig;
  /** Which addresses Connection issuers may have; undefined: https only, no local or metadata address. */
  issuerPolicy?: AddressPolicy;
  /**
   * The uid of this replica's Pod (`POD_UID`, which the chart sets from the downward API), named in Events
   * about the Pod: `kubectl describe pod` lists only the Events whose `regarding.uid` is the Pod's.
   */
  podUid?: string;
}

/** Every option of `latchkey operator`, in the order the usage text lists them. */
export const OPERATOR_OPTIONS = [
  {
    name: 'issuer',
    type: 'string',
    value: 'URL',
    required: true,
    description: 'the URL workloads reach this server at, e.g. http://latchkey.latchkey-system.svc:8080',
  },
  {
    name: 'kubeconfig',
    type: 'string',
    value: 'PATH',
    defaultText: 'in-cluster configuration',
    description: 'run outside the cluster with this kubeconfig',
  },
  {
    name: 'namespaces',
    type: 'string',
    value: 'a,b',
    defaultText: 'all',
    description: 'watch only these namespaces',
  },
  {
    name: 'namespace',
    type: 'string',
    value: 'NS',
    defaultText: "the pod's, else latchkey-system",
    description: "the operator's own namespace, for its signing keys and Lease",
  },
  { name: 'port', type: 'string', value: 'N', default: '8080', description: 'token server port' },
  {
    name: 'ops-port',
    type: 'string',
    value: 'N',
    default: '8081',
    description: 'health, readiness and metrics port',
  },
  { name: 'host', type: 'string', value: 'ADDR', default: '0.0.0.0', description: 'address to bind' },
  {
    name: 'tls-cert',
    type: 'string',
    value: 'PATH',
    defaultText: 'plain HTTP',
    description:
      "serve HTTPS on the token port with this PEM certificate (chain), e.g. a mounted kubernetes.io/tls Secret's tls.crt; renewals are picked up without a restart",
  },
  {
    name: 'tls-key',
    type: 'string',
    value: 'PATH',
    defaultText: 'plain HTTP',
    description: 'the PEM private key of --tls-cert; both or neither',
  },
  {
    name: 'identity',
    type: 'string',
    value: 'ID',
    defaultText: 'hostname and a random suffix',
    description: 'leader election identity',
  },
  {
    name: 'lease-name',
    type: 'string',
    value: 'NAME',
    default: 'latchkey-operator',
    description: 'the coordination.k8s.io Lease',
  },
  {
    name: 'lease-duration',
    type: 'string',
    value: 'D',
    default: '15s',
    description: "how long a leader's Lease lasts without renewal",
  },
  {
    name: 'renew-deadline',
    type: 'string',
    value: 'D',
    default: '10s',
    description: 'how long a leader keeps trying to renew before it steps down',
  },
  {
    name: 'retry-period',
    type: 'string',
    value: 'D',
    default: '2s',
    description: 'how often candidates try, and the leader renews',
  },
  {
    name: 'concurrency',
    type: 'string',
    value: 'N',
    default: '4',
    description: 'reconciles running at once per kind, 1 to 64',
  },
  {
    name: 'signing-key-rotation',
    type: 'string',
    value: 'D',
    default: '720h',
    description: 'how long a signing key signs before the next one takes over (720h is 30 days)',
  },
  {
    name: 'signing-key-prepublish',
    type: 'string',
    value: 'D',
    default: '24h',
    description:
      'how long a new key is in the JWKS before it signs; longer than any resource server caches the JWKS. Must be shorter than --signing-key-rotation',
  },
  {
    name: 'signing-key-clock-skew',
    type: 'string',
    value: 'D',
    default: '5m',
    description:
      "how long past a token's exp resource servers may still accept it (leeway plus clock drift); a retired key stays in the JWKS this much longer than its tokens",
  },
  {
    name: 'allow-issuer-hosts',
    type: 'string',
    value: 'LIST',
    defaultText: 'none, https only',
    description:
      "host names and IP networks (comma-separated) that Connection issuers, their jwks_uri and clients' jwksUri may use although refused by default: plain http, loopback, link-local, metadata addresses, or a network in --deny-issuer-networks",
  },
  {
    name: 'deny-issuer-networks',
    type: 'string',
    value: 'LIST',
    defaultText: 'none',
    description:
      'IP networks (CIDR, comma-separated) issuers must not resolve to, on top of loopback, link-local, metadata and unspecified addresses, e.g. 10.0.0.0/8',
  },
  ...STATE_OPTIONS,
  ...HTTP_LIMIT_OPTIONS,
  ...REPLAY_LIMIT_OPTIONS,
  ...SIGN_IN_LIMIT_OPTIONS,
  MANAGEMENT_RATE_LIMIT_OPTION,
  { name: 'log-format', type: 'string', value: 'F', default: 'json', description: 'json or text' },
  LOG_LEVEL_OPTION,
] as const satisfies readonly OptionDef[];

type OperatorValues = OptionValues<typeof OPERATOR_OPTIONS>;

export const OPERATOR_COMMAND: CommandDef = {
  name: 'operator',
  synopsis: 'latchkey operator --issuer URL [options]',
  description: ["Reconciles Latchkey's custom resources from a Kubernetes API server and serves tokens."],
  options: OPERATOR_OPTIONS,
};

export const OPERATOR_USAGE = formatUsage(OPERATOR_COMMAND);

function seconds(value: string | undefined, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  const ms = parseDuration(value);
  if (ms === undefined || ms < 1000)
    throw new ConfigError(option, `must be a duration of at least 1s, got ${JSON.stringify(value)}`);
  return ms / 1000;
}

function issuerOption(values: OperatorValues): { issuer: string; tls: TlsFiles | undefined } {
  if (values.issuer === undefined) {
    throw new ConfigError(
      '--issuer',
      'required: the URL workloads reach this server at, e.g. http://latchkey.latchkey-system.svc:8080',
    );
  }
  const issuer = issuerUrls(values.issuer.replace(/\/+$/, ''), '--issuer').issuer;
  const tls = tlsFilesOption(values['tls-cert'], values['tls-key']);
  checkIssuerScheme(issuer, tls !== undefined, '--issuer');
  return { issuer, tls };
}

function namespacesOption(value: string | undefined): string[] | undefined {
  const namespaces = value
    ?.split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  for (const ns of namespaces ?? []) {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns))
      throw new ConfigError('--namespaces', `${JSON.stringify(ns)} is not a namespace name`);
  }
  return namespaces;
}

function logFormatOption(value: string | undefined): 'text' | 'json' {
  const logFormat = value ?? 'json';
  if (logFormat !== 'text' && logFormat !== 'json')
    throw new ConfigError('--log-format', 'must be json or text');
  return logFormat;
}

type LeaseTimings = Pick<
  OperatorConfig,
  'leaseDurationSeconds' | 'renewDeadlineSeconds' | 'retryPeriodSeconds'
>;

function leaseTimingsOption(values: OperatorValues): LeaseTimings {
  const leaseDurationSeconds = seconds(values['lease-duration'], '--lease-duration', 15);
  const renewDeadlineSeconds = seconds(values['renew-deadline'], '--renew-deadline', 10);
  const retryPeriodSeconds = seconds(values['retry-period'], '--retry-period', 2);
  if (!(leaseDurationSeconds > renewDeadlineSeconds && renewDeadlineSeconds > retryPeriodSeconds)) {
    throw new ConfigError(
      '--lease-duration',
      'must be longer than --renew-deadline, which must be longer than --retry-period',
    );
  }
  return { leaseDurationSeconds, renewDeadlineSeconds, retryPeriodSeconds };
}

function keyRotationOption(values: OperatorValues): RotationSchedule {
  const ms = (option: keyof OperatorValues, fallbackMs: number) =>
    seconds(values[option], `--${option}`, fallbackMs / 1000) * 1000;
  const keyRotation: RotationSchedule = {
    intervalMs: ms('signing-key-rotation', DEFAULT_ROTATION.intervalMs),
    prePublishMs: ms('signing-key-prepublish', DEFAULT_ROTATION.prePublishMs),
    clockSkewMs: ms('signing-key-clock-skew', DEFAULT_ROTATION.clockSkewMs),
  };
  if (!(keyRotation.prePublishMs < keyRotation.intervalMs)) {
    throw new ConfigError(
      '--signing-key-prepublish',
      'must be shorter than --signing-key-rotation: a key must sign before its successor is published',
    );
  }
  return keyRotation;
}

/** Where the chart puts the Pod's `metadata.uid`. */
export const POD_UID_ENV = 'POD_UID';

// Kubernetes gives every object a UUID (RFC 9562 text form).
const UID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function podUidOption(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const uid = env[POD_UID_ENV];
  if (uid === undefined || uid === '') return undefined;
  if (!UID.test(uid)) {
    throw new ConfigError(POD_UID_ENV, "must be the Pod's metadata.uid (a UUID), from the downward API");
  }
  return uid;
}

/** Parses `latchkey operator` options; `env` and `podNamespace` come from the process edge. */
export function parseOperatorArgs(
  argv: readonly string[],
  podNamespace: string | undefined,
  env: Readonly<Record<string, string | undefined>> = {},
): OperatorConfig {
  const { values } = parseOptions(OPERATOR_OPTIONS, argv, false, 'operator');
  // Checked in this order, so the first bad option reported stays the same.
  const { issuer, tls } = issuerOption(values);
  const namespaces = namespacesOption(values.namespaces);
  const logFormat = logFormatOption(values['log-format']);
  const logLevel = logLevelOption(values['log-level']);
  const leaseTimings = leaseTimingsOption(values);
  const keyRotation = keyRotationOption(values);
  const podUid = podUidOption(env);
  return {
    ...(values.kubeconfig !== undefined ? { kubeconfig: values.kubeconfig } : {}),
    ...(namespaces !== undefined && namespaces.length > 0 ? { namespaces } : {}),
    namespace: values.namespace ?? podNamespace ?? DEFAULT_LATCHKEY_NAMESPACE,
    issuer,
    ...(tls !== undefined ? { tls } : {}),
    host: values.host ?? '0.0.0.0',
    port: portOption(values.port, '--port', 8080),
    opsPort: portOption(values['ops-port'], '--ops-port', 8081),
    identity: values.identity ?? `${hostname()}-${randomBytes(4).toString('hex')}`,
    leaseName: values['lease-name'] ?? 'latchkey-operator',
    ...leaseTimings,
    concurrency: integerOption(values.concurrency, '--concurrency', 4, 1, 64),
    logFormat,
    logLevel,
    keyRotation,
    httpLimits: httpLimitsOption(values),
    replayLimits: replayLimitsOption(values),
    signInLimits: signInLimitsOption(values),
    managementRateLimit: managementRateLimitOption(values),
    userCodeLimits: userCodeLimitsOption(values),
    state: stateOption(values, env),
    issuerPolicy: addressPolicyOption(values['allow-issuer-hosts'], values['deny-issuer-networks'], false),
    ...(podUid !== undefined ? { podUid } : {}),
  };
}
