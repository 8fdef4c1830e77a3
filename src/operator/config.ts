import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { parseDuration } from '../api/duration.ts';
import { ConfigError } from '../config-error.ts';
import { integerOption, portOption } from '../options.ts';
import { DEFAULT_ROTATION, type RotationSchedule } from '../keys/signing-key-rotation.ts';
import { addressPolicyOption, type AddressPolicy } from '../outbound/address-policy.ts';
import { issuerUrls } from '../server/issuer.ts';
import {
  HTTP_LIMIT_OPTIONS,
  HTTP_LIMITS_USAGE,
  httpLimitsOption,
  type HttpLimits,
} from '../server/http-limits.ts';
import {
  REPLAY_LIMIT_OPTIONS,
  REPLAY_LIMITS_USAGE,
  replayLimitsOption,
  type ReplayLimits,
} from '../runtime/replay-admission.ts';
import { checkIssuerScheme, tlsFilesOption, type TlsFiles } from '../server/tls.ts';
import { STATE_OPTIONS, STATE_USAGE, stateOption, type StateConfig } from '../state/state-options.ts';

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
  /** When signing keys rotate: interval, pre-publish period, and the clock skew retired keys allow for. */
  keyRotation: RotationSchedule;
  /** Timeouts and the connection cap of the token and ops ports. */
  httpLimits?: HttpLimits;
  /** Capacity and per-client ceiling of the client assertion replay cache. */
  replayLimits?: ReplayLimits;
  /** Where runtime state lives; undefined: embedded in memory (`--state embedded` without `--state-path`). */
  state?: StateConfig;
  /** Which addresses Connection issuers may have; undefined: https only, no local or metadata address. */
  issuerPolicy?: AddressPolicy;
}

export const OPERATOR_USAGE = `Usage: latchkey operator --issuer URL [options]

Reconciles Latchkey's custom resources from a Kubernetes API server and serves tokens.

Options:
  --issuer URL            the URL workloads reach this server at, e.g. http://latchkey.latchkey-system.svc:8080 (required)
  --kubeconfig PATH       run outside the cluster with this kubeconfig (default: in-cluster configuration)
  --namespaces a,b        watch only these namespaces (default: all)
  --namespace NS          the operator's own namespace, for its signing keys and Lease (default: the pod's, else latchkey-system)
  --port N                token server port (default: 8080)
  --ops-port N            health and metrics port (default: 8081)
  --host ADDR             address to bind (default: 0.0.0.0)
  --tls-cert PATH         serve HTTPS on the token port with this PEM certificate (chain), e.g. a mounted
                          kubernetes.io/tls Secret's tls.crt; renewals are picked up without a restart
  --tls-key PATH          the PEM private key of --tls-cert (both or neither; default: plain HTTP)
  --identity ID           leader election identity (default: hostname and a random suffix)
  --lease-name NAME       the coordination.k8s.io Lease (default: latchkey-operator)
  --lease-duration D      how long a leader's Lease lasts without renewal (default: 15s)
  --renew-deadline D      how long a leader keeps trying to renew before it steps down (default: 10s)
  --retry-period D        how often candidates try, and the leader renews (default: 2s)
  --concurrency N         reconciles running at once per kind (default: 4)
  --signing-key-rotation D
                          how long a signing key signs before the next one takes over (default: 720h, 30 days)
  --signing-key-prepublish D
                          how long a new key is in the JWKS before it signs (default: 24h); longer than any
                          resource server caches the JWKS. Must be shorter than --signing-key-rotation
  --signing-key-clock-skew D
                          how long past a token's exp resource servers may still accept it (leeway plus clock
                          drift); a retired key stays in the JWKS this much longer than its tokens (default: 5m)
  --allow-issuer-hosts LIST
                          host names and IP networks (comma-separated) that Connection issuers, their
                          jwks_uri and clients' jwksUri may use although refused by default: plain http,
                          loopback, link-local, metadata addresses, or a network in --deny-issuer-networks
                          (default: none, https only)
  --deny-issuer-networks LIST
                          IP networks (CIDR, comma-separated) issuers must not resolve to, on top of loopback,
                          link-local, metadata and unspecified addresses, e.g. 10.0.0.0/8 (default: none)
${STATE_USAGE}${HTTP_LIMITS_USAGE}${REPLAY_LIMITS_USAGE}  --log-format F          json or text (default: json)
`;

function seconds(value: string | undefined, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  const ms = parseDuration(value);
  if (ms === undefined || ms < 1000)
    throw new ConfigError(option, `must be a duration of at least 1s, got ${JSON.stringify(value)}`);
  return ms / 1000;
}

/** Parses `latchkey operator` options; `env` and `podNamespace` come from the process edge. */
export function parseOperatorArgs(
  argv: readonly string[],
  podNamespace: string | undefined,
  env: Readonly<Record<string, string | undefined>> = {},
): OperatorConfig {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        issuer: { type: 'string' },
        kubeconfig: { type: 'string' },
        namespaces: { type: 'string' },
        namespace: { type: 'string' },
        port: { type: 'string' },
        'ops-port': { type: 'string' },
        host: { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        identity: { type: 'string' },
        'lease-name': { type: 'string' },
        'lease-duration': { type: 'string' },
        'renew-deadline': { type: 'string' },
        'retry-period': { type: 'string' },
        concurrency: { type: 'string' },
        'log-format': { type: 'string' },
        'signing-key-rotation': { type: 'string' },
        'signing-key-prepublish': { type: 'string' },
        'signing-key-clock-skew': { type: 'string' },
        ...HTTP_LIMIT_OPTIONS,
        ...REPLAY_LIMIT_OPTIONS,
        ...STATE_OPTIONS,
        'allow-issuer-hosts': { type: 'string' },
        'deny-issuer-networks': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new ConfigError('options', (err as Error).message);
  }
  if (values.issuer === undefined) {
    throw new ConfigError(
      '--issuer',
      'required: the URL workloads reach this server at, e.g. http://latchkey.latchkey-system.svc:8080',
    );
  }
  const issuer = issuerUrls(values.issuer.replace(/\/+$/, ''), '--issuer').issuer;
  const tls = tlsFilesOption(values['tls-cert'], values['tls-key']);
  checkIssuerScheme(issuer, tls !== undefined, '--issuer');
  const namespaces = values.namespaces
    ?.split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  for (const ns of namespaces ?? []) {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns))
      throw new ConfigError('--namespaces', `${JSON.stringify(ns)} is not a namespace name`);
  }
  const logFormat = values['log-format'] ?? 'json';
  if (logFormat !== 'text' && logFormat !== 'json')
    throw new ConfigError('--log-format', 'must be json or text');
  const leaseDurationSeconds = seconds(values['lease-duration'], '--lease-duration', 15);
  const renewDeadlineSeconds = seconds(values['renew-deadline'], '--renew-deadline', 10);
  const retryPeriodSeconds = seconds(values['retry-period'], '--retry-period', 2);
  if (!(leaseDurationSeconds > renewDeadlineSeconds && renewDeadlineSeconds > retryPeriodSeconds)) {
    throw new ConfigError(
      '--lease-duration',
      'must be longer than --renew-deadline, which must be longer than --retry-period',
    );
  }
  const keyRotation: RotationSchedule = {
    intervalMs:
      seconds(values['signing-key-rotation'], '--signing-key-rotation', DEFAULT_ROTATION.intervalMs / 1000) *
      1000,
    prePublishMs:
      seconds(
        values['signing-key-prepublish'],
        '--signing-key-prepublish',
        DEFAULT_ROTATION.prePublishMs / 1000,
      ) * 1000,
    clockSkewMs:
      seconds(
        values['signing-key-clock-skew'],
        '--signing-key-clock-skew',
        DEFAULT_ROTATION.clockSkewMs / 1000,
      ) * 1000,
  };
  if (!(keyRotation.prePublishMs < keyRotation.intervalMs)) {
    throw new ConfigError(
      '--signing-key-prepublish',
      'must be shorter than --signing-key-rotation: a key must sign before its successor is published',
    );
  }
  return {
    ...(values.kubeconfig !== undefined ? { kubeconfig: values.kubeconfig } : {}),
    ...(namespaces !== undefined && namespaces.length > 0 ? { namespaces } : {}),
    namespace: values.namespace ?? podNamespace ?? 'latchkey-system',
    issuer,
    ...(tls !== undefined ? { tls } : {}),
    host: values.host ?? '0.0.0.0',
    port: portOption(values.port, '--port', 8080),
    opsPort: portOption(values['ops-port'], '--ops-port', 8081),
    identity: values.identity ?? `${hostname()}-${randomBytes(4).toString('hex')}`,
    leaseName: values['lease-name'] ?? 'latchkey-operator',
    leaseDurationSeconds,
    renewDeadlineSeconds,
    retryPeriodSeconds,
    concurrency: integerOption(values.concurrency, '--concurrency', 4, 1, 64),
    logFormat,
    keyRotation,
    httpLimits: httpLimitsOption(values),
    replayLimits: replayLimitsOption(values),
    state: stateOption(values, env),
    issuerPolicy: addressPolicyOption(values['allow-issuer-hosts'], values['deny-issuer-networks'], false),
  };
}
