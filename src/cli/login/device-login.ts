import { setTimeout as sleep } from 'node:timers/promises';
import { askParams, OAuthErrorAnswer, postForm, type Metadata, type SignInAsk } from './oauth-http.ts';
import type { TokenResponse } from './token-cache.ts';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** The device authorization response (RFC 8628 §3.2). */
export interface DeviceAuthorization {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete?: string;
  expires_in: number;
  interval?: number;
}

/** What the CLI does after a poll's answer (RFC 8628 §3.5): wait and poll again, or stop. */
export type NextPoll = { wait: number } | { stop: string };

/**
 * The next step after a poll answered `error`, with `intervalSeconds` the current interval: pending keeps it,
 * `slow_down` adds 5 s (§3.5), anything else ends the sign-in with words for the person.
 */
export function afterPollError(error: string, intervalSeconds: number): NextPoll {
  switch (error) {
    case 'authorization_pending':
      return { wait: intervalSeconds };
    case 'slow_down':
      return { wait: intervalSeconds + 5 };
    case 'access_denied':
      return { stop: 'the sign-in was denied in the browser' };
    case 'expired_token':
      return { stop: 'the code expired before it was confirmed: run latchkey login again' };
    default:
      return { stop: `the sign-in failed: ${error}` };
  }
}

/** What the person reads on standard error: where to go, and the code to compare. */
export function deviceInstructions(device: DeviceAuthorization): string {
  const complete = device.verification_uri_complete;
  return [
    '',
    `To sign in, open ${complete ?? device.verification_uri}`,
    `and check that it shows the code ${device.user_code}${complete === undefined ? ' (enter it there)' : ''}.`,
    `The code expires in ${Math.round(device.expires_in / 60)} minutes.`,
    '',
  ].join('\n');
}

/**
 * Runs the device flow (RFC 8628): asks for a device authorization, writes the instructions, and polls the
 * token endpoint at the interval the server asks for, slower after each `slow_down`, until the person answered.
 *
 * @throws {Error} when the person denied, the code expired, or the server refused
 */
export async function deviceLogin(
  metadata: Metadata,
  clientId: string,
  ask: SignInAsk,
  write: (text: string) => void,
  now: () => number,
): Promise<TokenResponse> {
  if (metadata.device_authorization_endpoint === undefined) {
    throw new Error(`${metadata.issuer} offers no device authorization endpoint: try --flow browser`);
  }
  const device = await postForm<DeviceAuthorization>(metadata.device_authorization_endpoint, {
    client_id: clientId,
    ...askParams(ask),
  });
  write(deviceInstructions(device));
  let interval = device.interval ?? 5;
  const deadline = now() + device.expires_in * 1000;
  for (;;) {
    await sleep(interval * 1000);
    if (now() > deadline)
      throw new Error('the code expired before it was confirmed: run latchkey login again');
    try {
      return await postForm<TokenResponse>(metadata.token_endpoint, {
        grant_type: DEVICE_GRANT,
        device_code: device.device_code,
        client_id: clientId,
      });
    } catch (err) {
      if (!(err instanceof OAuthErrorAnswer)) throw err;
      const next = afterPollError(err.error, interval);
      if ('stop' in next) throw new Error(next.stop, { cause: err });
      interval = next.wait;
    }
  }
}
