import type { PeopleClient } from '../authorize/redirect-uri.ts';
import type { CompiledClient, Snapshot } from '../../store/snapshot.ts';

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** The purpose a device sign-in's request seals its user code with (`sealCode`, digest.ts). */
export const USER_CODE_SEAL = 'user_code';

/** Whether the client may sign people in with the device grant: it lists the grant and has people settings. */
export function usesDeviceGrant(client: CompiledClient | undefined): client is PeopleClient {
  return client?.people !== undefined && client.grantTypes.has(DEVICE_CODE_GRANT);
}

/**
 * The client of a device sign-in, while the snapshot in force still lets it sign people in with the device
 * grant: configuration may change while a device waits or a person is on the pages.
 */
export function mayStillSignIn(snapshot: Snapshot, clientId: string): PeopleClient | undefined {
  const client = snapshot.clients.get(clientId);
  return usesDeviceGrant(client) ? client : undefined;
}
