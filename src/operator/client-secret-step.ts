import type { KubeObject } from '../kube/types.ts';
import { holdsItsName } from '../store/claims.ts';
import type { Resolution } from '../store/compile.ts';
import { secretNameOf } from '../store/names.ts';
import type { DeclaredOAuthClient, DeclaredObject, InvalidObject } from '../store/objects.ts';
import { newClientSecret } from '../store/secrets.ts';
import { secretStep, type SecretAction } from './client-secret-rotation.ts';
import type { ObjectStatus } from './status.ts';

/** Longest single wait for a secret rotation or grace period; longer ones are re-checked after it. */
export const MAX_WAKE_MS = 86_400_000;

/** What to do about a client's Secret now, and in how many milliseconds something is next due. */
export interface ClientSecretStep {
  action: SecretAction;
  wakeInMs?: number;
}

/** What the step of one OAuthClient reads, gathered from the caches and the last compiled resolutions. */
export interface ClientSecretGathered {
  /** The OAuthClient as cached (its uid and the status last written). */
  cached: KubeObject;
  declared: DeclaredObject | InvalidObject;
  /** The Secret the client names, as the Secret informer holds it. */
  existing: (namespace: string, name: string) => KubeObject | undefined;
  resolution: Resolution | undefined;
  urls: { issuer: string; tokenEndpoint: string };
  now: number;
}

/**
 * The client's {@link secretStep} from what the caches hold; an invalid spec gets nothing done. A wait past
 * {@link MAX_WAKE_MS} is cut to it: timers overflow past 2^31 ms (24.8 days), so a far date is approached in steps.
 */
export function clientSecretStep(input: ClientSecretGathered): ClientSecretStep {
  const d = input.declared;
  if (!('spec' in d)) return { action: { kind: 'none' } };
  const client = d as DeclaredOAuthClient;
  const status = input.cached['status'] as ObjectStatus | undefined;
  const { action, wakeInMs } = secretStep({
    client,
    uid: input.cached.metadata.uid ?? '',
    issuedBefore: status?.secretName !== undefined,
    existing: input.existing(client.metadata.namespace, secretNameOf(client)),
    urls: input.urls,
    newSecret: newClientSecret,
    now: input.now,
    holdsClientId: holdsItsName(input.resolution),
  });
  return wakeInMs === undefined ? { action } : { action, wakeInMs: Math.min(wakeInMs, MAX_WAKE_MS) };
}
