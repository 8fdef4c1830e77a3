import type { ConnectionCheck, DeclaredObject, InvalidObject, ObjectKey } from '../objects.ts';
import { objectKey } from '../objects.ts';
import { ConditionType, Reason, type Problem, type ReasonName } from '../reasons.ts';

/** A condition as the store decides it; the operator adds observedGeneration and lastTransitionTime. */
export interface ConditionDecision {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: ReasonName;
  message: string;
}

/** What became of one declared object: its conditions and the status fields the store knows. */
export interface Resolution {
  kind: DeclaredObject['kind'];
  namespace: string;
  name: string;
  generation?: number;
  ready: boolean;
  conditions: ConditionDecision[];
  clientId?: string;
  secretName?: string;
  /** Rotation of a generated secret, as RFC 3339 times (see `rotationTimesOf`). */
  secretRotatedAt?: string;
  previousSecretValidUntil?: string;
  nextSecretRotationAt?: string;
  organizationId?: string;
  issuer?: string;
  jwksUri?: string;
}

/** One object's resolution under its key: what every phase hands the orchestrator, in the order it decided. */
export interface Resolved {
  readonly objectKey: ObjectKey;
  readonly resolution: Resolution;
}

/** What becomes of an object with these problems and conditions: Ready first, then the specific ones. */
export function resolutionOf(
  o: DeclaredObject,
  problems: readonly Problem[],
  extra: Partial<Resolution> = {},
  more: readonly ConditionDecision[] = [],
): Resolution {
  const ready = problems.length === 0 && more.every((c) => c.status === 'True');
  const firstFailing = more.find((c) => c.status !== 'True');
  const conditions: ConditionDecision[] = [
    ready
      ? IN_EFFECT[o.kind]
      : {
          type: ConditionType.Ready,
          status: firstFailing?.status === 'Unknown' && problems.length === 0 ? 'Unknown' : 'False',
          reason: (problems[0]?.reason ?? firstFailing?.reason) as ReasonName,
          message: readyMessage(problems, more),
        },
    ...more,
  ];
  return {
    kind: o.kind,
    namespace: o.metadata.namespace,
    name: o.metadata.name,
    ...(o.metadata.generation !== undefined ? { generation: o.metadata.generation } : {}),
    ready,
    conditions,
    ...extra,
  };
}

/** {@link resolutionOf} under the object's key. */
export function resolvedOf(
  o: DeclaredObject,
  problems: readonly Problem[],
  extra?: Partial<Resolution>,
  more?: readonly ConditionDecision[],
): Resolved {
  return {
    objectKey: objectKey(o.kind, o.metadata.namespace, o.metadata.name),
    resolution: resolutionOf(o, problems, extra, more),
  };
}

/** Every problem once: the specific conditions often restate problems already listed. */
function readyMessage(problems: readonly Problem[], more: readonly ConditionDecision[]): string {
  const parts = problems.map((p) => p.message);
  for (const c of more) {
    if (c.status !== 'True' && !c.message.split('; ').every((m) => parts.includes(m))) parts.push(c.message);
  }
  return parts.join('; ');
}

/** The conditions most objects have, shared: thousands of identical objects on every rebuild cost GC time. */
const IN_EFFECT: Readonly<Record<DeclaredObject['kind'], ConditionDecision>> = Object.fromEntries(
  (['ResourceServer', 'Role', 'OAuthClient', 'Organization', 'Connection'] as const).map((kind) => [
    kind,
    Object.freeze({
      type: ConditionType.Ready,
      status: 'True',
      reason: Reason.Reconciled,
      message: `${kind} is in effect`,
    }),
  ]),
) as Record<DeclaredObject['kind'], ConditionDecision>;

const REFERENCES_RESOLVED: ConditionDecision = Object.freeze({
  type: ConditionType.ReferencesResolved,
  status: 'True',
  reason: Reason.Reconciled,
  message: 'all references resolved',
});

/** `ReferencesResolved`: true, or the first problem's reason with every problem's message. */
export function referencesCondition(problems: readonly Problem[]): ConditionDecision {
  return problems.length === 0
    ? REFERENCES_RESOLVED
    : {
        type: ConditionType.ReferencesResolved,
        status: 'False',
        reason: (problems[0] as Problem).reason,
        message: problems.map((p) => p.message).join('; '),
      };
}

/**
 * `IssuerVerified` of a Connection: what the operator's last check of its issuer found; `unchecked` is what
 * it says before any check (dev mode names its flag).
 */
export function issuerCondition(
  check: ConnectionCheck | undefined,
  unchecked = 'the issuer has not been contacted yet; the operator verifies discovery and keys',
): ConditionDecision {
  if (check === undefined) {
    return {
      type: ConditionType.IssuerVerified,
      status: 'Unknown',
      reason: Reason.DiscoveryNotChecked,
      message: unchecked,
    };
  }
  return check.ok
    ? {
        type: ConditionType.IssuerVerified,
        status: 'True',
        reason: Reason.IssuerVerified,
        message: `discovery and ${check.keys} signing keys found at ${check.issuer}`,
      }
    : {
        type: ConditionType.IssuerVerified,
        status: 'False',
        reason: Reason.IssuerUnreachable,
        message:
          check.lastGood === undefined
            ? check.message
            : `${check.message}; tokens signed with the keys found earlier are still accepted`,
      };
}

/** Objects whose spec the schema refused: not Ready, with the schema's message. */
export function invalidResolutions(invalid: readonly InvalidObject[] | undefined): Resolved[] {
  return (invalid ?? []).map((bad) =>
    resolvedOf({ kind: bad.kind, metadata: bad.metadata } as DeclaredObject, [
      { reason: Reason.InvalidSpec, message: bad.message },
    ]),
  );
}
