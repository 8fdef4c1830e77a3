import { API_VERSION } from '../api/common.ts';
import { parseDuration } from '../api/duration.ts';
import { CLIENT_LABEL, MANAGED_LABELS } from '../api/labels.ts';
import {
  DEFAULT_SECRET_GRACE_PERIOD,
  previousSecretKey,
  ROTATE_SECRET_ANNOTATION,
  SECRET_ROTATION_ANNOTATIONS,
} from '../api/oauth-client.ts';
import type { KubeObject } from '../kube/types.ts';
import type { DeclaredOAuthClient } from '../store/objects.ts';
import { SHARED_SECRET_METHODS } from '../api/protocol-capabilities.ts';
import { defaultClientId, secretNameOf } from '../store/names.ts';
import { rotationTimesOf, timeText, type RotationTimes } from '../store/secrets.ts';

// Client-secret rotation, decided: what to do about an OAuthClient's generated Secret (create it, refresh it,
// rotate the secret on request or on schedule, drop the previous one when its grace period ends). Where a
// rotation stands is read from the Secret's annotations (src/store/secrets.ts); the controller applies it.

export type SecretAction =
  | { kind: 'none' }
  /** Create the Secret; `recreated` when a Secret was issued before and is gone. */
  | { kind: 'create'; body: KubeObject; recreated: boolean }
  /**
   * Patch our own Secret (`null` removes a key): refresh its descriptive keys; `secretReplaced` when the
   * secret key itself was missing; `rotated` when the secret was rotated; `previousExpired` when the grace
   * period of the previous secret ended and it is removed. Applied with `resourceVersion` as a
   * precondition, so a decision made from a stale cache never rotates twice.
   */
  | {
      kind: 'update';
      data: Record<string, string | null>;
      secretReplaced: boolean;
      annotations?: Record<string, string | null>;
      rotated?: SecretRotation;
      previousExpired?: true;
      resourceVersion?: string;
    }
  /** A Secret of that name exists and is not ours: never touch it. */
  | { kind: 'conflict'; message: string };

export interface SecretRotation {
  /** `requested`: a new value of the `latchkey.dev/rotate-secret` annotation; `scheduled`: the interval. */
  cause: 'requested' | 'scheduled';
  /** RFC 3339: until when the previous secret is accepted. */
  previousValidUntil: string;
}

export interface SecretDecisionInput {
  client: DeclaredOAuthClient;
  uid: string;
  /** `status.secretName` as last written: a Secret was issued before. */
  issuedBefore: boolean;
  existing: KubeObject | undefined;
  urls: { issuer: string; tokenEndpoint: string };
  newSecret: () => string;
  /** Milliseconds since the epoch. */
  now: number;
  /**
   * Whether the store gave the client its client id. One that lost it to another client (or may not have it)
   * gets no Secret: it would hand a workload the id of someone else's client (issue 9).
   */
  holdsClientId: boolean;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

function generates(client: DeclaredOAuthClient): boolean {
  const spec = client.spec;
  return spec.secret.source === 'Generate' && SHARED_SECRET_METHODS.has(spec.tokenEndpointAuthMethod);
}

function ownedBy(existing: KubeObject, uid: string): boolean {
  return existing.metadata.ownerReferences?.find((r) => r.controller === true)?.uid === uid;
}

function rotationTimes(client: DeclaredOAuthClient, existing: KubeObject): RotationTimes {
  const data = (existing['data'] ?? {}) as Record<string, string>;
  const previous = data[previousSecretKey(client.spec.secret.keys.clientSecret)];
  return rotationTimesOf(client.spec.secret.rotation, {
    annotations: existing.metadata.annotations,
    creationTimestamp: existing.metadata.creationTimestamp,
    hasPrevious: previous !== undefined && previous !== '',
  });
}

/**
 * When {@link decideSecret} will next decide something other than `none` for an unchanged world: the
 * scheduled rotation or the end of the previous secret's grace period, whichever comes first. The caller
 * puts the client on the work queue at that time, so nothing polls for it.
 */
export function secretWakeAt(
  input: Pick<SecretDecisionInput, 'client' | 'uid' | 'existing'>,
): number | undefined {
  const { client, existing } = input;
  if (!generates(client) || existing === undefined || !ownedBy(existing, input.uid)) return undefined;
  const times = rotationTimes(client, existing);
  const due = [times.nextRotationAt, times.previousValidUntil].filter((t) => t !== undefined);
  return due.length === 0 ? undefined : Math.min(...due);
}

/**
 * What to do now about a client's Secret and, when that is nothing, in how many milliseconds something may be due
 * (undefined: never). Both come from the one `input.now`: a caller reading the clock again for the wait could
 * pass a due time the decision did not reach, and a wait of 0 after "nothing yet" would schedule nothing.
 */
export function secretStep(input: SecretDecisionInput): {
  action: SecretAction;
  wakeInMs: number | undefined;
} {
  const action = decideSecret(input);
  const at = secretWakeAt(input);
  return { action, wakeInMs: at === undefined ? undefined : Math.max(at - input.now, 0) };
}

/**
 * What to do about a `source: Generate` client's Secret. Pure: the caller supplies the random secret and
 * the time. Rotation state lives in the Secret itself (annotations and the previous secret's key), written
 * in the same patch as the new secret, so a leader that stops half-way leaves either the old state or the
 * new one, and the next leader continues from it.
 */
export function decideSecret(input: SecretDecisionInput): SecretAction {
  const { client, existing, urls } = input;
  const spec = client.spec;
  if (!generates(client) || !input.holdsClientId) return { kind: 'none' };
  const requested = client.metadata.annotations?.[ROTATE_SECRET_ANNOTATION];
  const { namespace, name } = client.metadata;
  const secretName = secretNameOf(client);
  const keys = spec.secret.keys;
  const descriptive: Record<string, string> = {
    [keys.clientId]: spec.clientId ?? defaultClientId(namespace, name),
    [keys.issuer]: urls.issuer,
    [keys.tokenEndpoint]: urls.tokenEndpoint,
  };

  if (existing === undefined) return createAction(input, descriptive, requested);

  if (!ownedBy(existing, input.uid)) {
    return { kind: 'conflict', message: `Secret ${namespace}/${secretName} belongs to another owner` };
  }
  const data = (existing['data'] ?? {}) as Record<string, string>;
  const recorded = existing.metadata.annotations ?? {};
  const patch: Record<string, string | null> = {};
  const annotations: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(descriptive)) if (data[k] !== b64(v)) patch[k] = b64(v);

  const previousKey = previousSecretKey(keys.clientSecret);
  const times = rotationTimes(client, existing);
  const hasPrevious = data[previousKey] !== undefined && data[previousKey] !== '';
  const newRequest = requested !== undefined && requested !== recorded[SECRET_ROTATION_ANNOTATIONS.handled];
  const scheduled = times.nextRotationAt !== undefined && input.now >= times.nextRotationAt;
  const secretMissing = data[keys.clientSecret] === undefined || data[keys.clientSecret] === '';
  let rotated: SecretRotation | undefined;
  let previousExpired = false;

  if (secretMissing) {
    // Whoever removed the secret wants it gone at once: no grace period, for it or for the one before.
    patch[keys.clientSecret] = b64(input.newSecret());
    annotations[SECRET_ROTATION_ANNOTATIONS.rotatedAt] = timeText(input.now);
    if (hasPrevious) {
      patch[previousKey] = null;
      annotations[SECRET_ROTATION_ANNOTATIONS.previousValidUntil] = null;
    }
    if (newRequest) annotations[SECRET_ROTATION_ANNOTATIONS.handled] = requested;
  } else if (newRequest || scheduled) {
    const grace =
      parseDuration(spec.secret.rotation?.gracePeriod ?? DEFAULT_SECRET_GRACE_PERIOD) ??
      (parseDuration(DEFAULT_SECRET_GRACE_PERIOD) as number);
    // Rounded up to whole seconds, as the annotation keeps them, so the grace period is never shorter.
    const validUntil = timeText(Math.ceil((input.now + grace) / 1000) * 1000);
    patch[keys.clientSecret] = b64(input.newSecret());
    patch[previousKey] = data[keys.clientSecret] as string;
    annotations[SECRET_ROTATION_ANNOTATIONS.rotatedAt] = timeText(input.now);
    annotations[SECRET_ROTATION_ANNOTATIONS.previousValidUntil] = validUntil;
    if (newRequest) annotations[SECRET_ROTATION_ANNOTATIONS.handled] = requested;
    rotated = { cause: newRequest ? 'requested' : 'scheduled', previousValidUntil: validUntil };
  } else if (
    hasPrevious &&
    (times.previousValidUntil === undefined || input.now >= times.previousValidUntil)
  ) {
    patch[previousKey] = null;
    annotations[SECRET_ROTATION_ANNOTATIONS.previousValidUntil] = null;
    previousExpired = true;
  }

  if (Object.keys(patch).length === 0 && Object.keys(annotations).length === 0) return { kind: 'none' };
  const resourceVersion = existing.metadata.resourceVersion;
  return {
    kind: 'update',
    data: patch,
    secretReplaced: secretMissing,
    ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    ...(rotated !== undefined ? { rotated } : {}),
    ...(previousExpired ? { previousExpired: true as const } : {}),
    ...(resourceVersion !== undefined ? { resourceVersion } : {}),
  };
}

/** The Secret to create for a client that has none: its descriptive keys and a first secret. */
function createAction(
  input: SecretDecisionInput,
  descriptive: Record<string, string>,
  requested: string | undefined,
): SecretAction {
  const { namespace, name } = input.client.metadata;
  const keys = input.client.spec.secret.keys;
  return {
    kind: 'create',
    recreated: input.issuedBefore,
    body: {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: secretNameOf(input.client),
        namespace,
        labels: { ...MANAGED_LABELS, [CLIENT_LABEL]: name },
        // A request made before the Secret existed is satisfied by its first secret.
        ...(requested !== undefined
          ? { annotations: { [SECRET_ROTATION_ANNOTATIONS.handled]: requested } }
          : {}),
        ownerReferences: [
          {
            apiVersion: API_VERSION,
            kind: 'OAuthClient',
            name,
            uid: input.uid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      type: 'Opaque',
      data: Object.fromEntries(
        Object.entries({ ...descriptive, [keys.clientSecret]: input.newSecret() }).map(([k, v]) => [
          k,
          b64(v),
        ]),
      ),
    },
  };
}
