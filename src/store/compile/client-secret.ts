import { previousSecretKey, SECRET_ROTATION_ANNOTATIONS } from '../../api/oauth-client.ts';
import type { DeclaredOAuthClient, SecretData } from '../objects.ts';
import { ConditionType, Reason } from '../reasons.ts';
import { MIN_EXISTING_SECRET_LENGTH, rotationTimesOf, timeText, type RotationTimes } from '../secrets.ts';
import type { Expiring } from '../snapshot.ts';
import type { ConditionDecision, Resolution } from './conditions.ts';

/** What a client's Secret makes of it: the `SecretReady` condition and, when ready, the secret in force. */
export interface SecretCondition {
  condition: ConditionDecision;
  secret?: string;
  /** The secret the last rotation replaced, while the Secret holds it. */
  previous?: Expiring<string>;
  rotationStatus?: Partial<Resolution>;
  /** The decoded Secret the values come from: what derived values are remembered by. */
  from?: SecretData;
}

/** What a generated Secret says about its rotation, for one client's schedule (see rotationOf). */
interface RotationMemo {
  interval: string | undefined;
  hasPrevious: boolean;
  annotations: SecretData['annotations'];
  creationTimestamp: string | undefined;
  times: RotationTimes;
  status: Partial<Resolution>;
}

const rotations = new WeakMap<SecretData, RotationMemo>();

const NO_ROTATION: RotationMemo = Object.freeze({
  interval: undefined,
  hasPrevious: false,
  annotations: undefined,
  creationTimestamp: undefined,
  times: Object.freeze({}),
  status: Object.freeze({}),
});

/**
 * The rotation times of a generated Secret and the status fields that show them, parsed once per decoded
 * Secret (the operator hands the store the same SecretData while the Secret is unchanged) instead of once per
 * client on every rebuild. The memo is checked against everything the result depends on, so it never answers
 * for other inputs.
 */
function rotationOf(
  rotation: { interval?: string | undefined } | undefined,
  secret: SecretData,
  hasPrevious: boolean,
): RotationMemo {
  const interval = rotation?.interval;
  const annotations = secret.annotations;
  // Most Secrets never rotated and rotate on request only: nothing to parse, nothing to remember.
  if (
    interval === undefined &&
    (annotations === undefined ||
      (annotations[SECRET_ROTATION_ANNOTATIONS.rotatedAt] === undefined &&
        annotations[SECRET_ROTATION_ANNOTATIONS.previousValidUntil] === undefined))
  )
    return NO_ROTATION;
  const hit = rotations.get(secret);
  if (
    hit !== undefined &&
    hit.interval === interval &&
    hit.hasPrevious === hasPrevious &&
    hit.annotations === secret.annotations &&
    hit.creationTimestamp === secret.creationTimestamp
  )
    return hit;
  const times = rotationTimesOf(rotation, {
    annotations: secret.annotations,
    creationTimestamp: secret.creationTimestamp,
    hasPrevious,
  });
  const memo: RotationMemo = {
    interval,
    hasPrevious,
    annotations: secret.annotations,
    creationTimestamp: secret.creationTimestamp,
    times,
    status: rotationStatus(times),
  };
  rotations.set(secret, memo);
  return memo;
}

function rotationStatus(times: RotationTimes): Partial<Resolution> {
  return {
    ...(times.rotatedAt !== undefined ? { secretRotatedAt: timeText(times.rotatedAt) } : {}),
    ...(times.previousValidUntil !== undefined
      ? { previousSecretValidUntil: timeText(times.previousValidUntil) }
      : {}),
    ...(times.nextRotationAt !== undefined ? { nextSecretRotationAt: timeText(times.nextRotationAt) } : {}),
  };
}

/**
 * The `SecretReady` condition of a client that authenticates with a shared secret: its Secret is missing,
 * owned by another object, lacks the key, holds a secret too weak (`source: Existing`), or is in force,
 * with the previous secret of a rotation and the rotation times for the status.
 */
export function secretConditionOf(
  decl: DeclaredOAuthClient,
  secretName: string,
  secret: SecretData | undefined,
): SecretCondition {
  const { namespace } = decl.metadata;
  const { source, keys } = decl.spec.secret;
  const value = secret?.data[keys.clientSecret];
  const missing = (message: string): { condition: ConditionDecision } => ({
    condition: { type: ConditionType.SecretReady, status: 'False', reason: Reason.SecretMissing, message },
  });
  if (!secret) {
    return missing(
      source === 'Existing'
        ? `waiting for Secret ${namespace}/${secretName} to be written (spec.secret.source is Existing)`
        : `Secret ${namespace}/${secretName} has not been generated yet`,
    );
  }
  // A generated Secret counts only when this client owns it: a Secret someone placed under that name
  // beforehand must not become the client's credentials. Dev mode's files carry no owner.
  if (
    source === 'Generate' &&
    decl.metadata.uid !== undefined &&
    secret.controllerUid !== undefined &&
    secret.controllerUid !== decl.metadata.uid
  ) {
    return {
      condition: {
        type: ConditionType.SecretReady,
        status: 'False',
        reason: Reason.SecretNotOwned,
        message: `Secret ${namespace}/${secretName} belongs to another owner; delete it, or set spec.secret.name to another name, or spec.secret.source to Existing to use it`,
      },
    };
  }
  if (value === undefined || value === '') {
    return missing(`Secret ${namespace}/${secretName} has no key ${keys.clientSecret}`);
  }
  if (source === 'Existing' && value.length < MIN_EXISTING_SECRET_LENGTH) {
    return {
      condition: {
        type: ConditionType.SecretReady,
        status: 'False',
        reason: Reason.SecretTooWeak,
        message: `the secret in Secret ${namespace}/${secretName} key ${keys.clientSecret} is shorter than ${MIN_EXISTING_SECRET_LENGTH} characters; write a longer random value`,
      },
    };
  }
  const condition: ConditionDecision = {
    type: ConditionType.SecretReady,
    status: 'True',
    reason: Reason.SecretAvailable,
    message: `credentials are in Secret ${namespace}/${secretName}`,
  };
  // Only a Secret Latchkey generated carries a previous secret: its annotations were written by the leader.
  if (source !== 'Generate') return { condition, secret: value, from: secret };
  const previousValue = secret.data[previousSecretKey(keys.clientSecret)];
  const hasPrevious = previousValue !== undefined && previousValue !== '';
  const { times, status } = rotationOf(decl.spec.secret.rotation, secret, hasPrevious);
  return {
    condition,
    secret: value,
    rotationStatus: status,
    from: secret,
    ...(hasPrevious && times.previousValidUntil !== undefined
      ? { previous: { value: previousValue, validUntilMs: times.previousValidUntil } }
      : {}),
  };
}
