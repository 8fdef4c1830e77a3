import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { NO_STORE, UnauthorizedClient } from '../../server/errors.ts';
import type { Form } from '../../server/form.ts';
import type { CompiledClient } from '../../store/snapshot.ts';
import { registerClientFormEndpoint } from '../authenticate-form-client.ts';
import { TooManyPending } from '../authorize/errors.ts';
import { askedOrganization, checkResources, parseScopes } from '../authorize/validate.ts';
import type { PeopleDeps } from '../deps.ts';
import { digestOf } from '../digest.ts';
import { insertPending } from '../pending.ts';
import type { DeviceAuthorizationRecord } from '../records.ts';
import { formatUserCode, newDeviceCode, newUserCode } from './codes.ts';
import { DEVICE_CODE_GRANT, usesDeviceGrant } from './device-client.ts';
import {
  DEFAULT_POLL_INTERVAL_SECONDS,
  DEVICE_CODE_LIFETIME_MS,
  DEVICE_RECORD_AFTERLIFE_MS,
} from './poll.ts';

/** Draws of a user code before giving up: with 20^8 codes, even a million live ones collide one time in 25,600. */
const USER_CODE_DRAWS = 5;

/**
 * Registers `POST /oauth2/device_authorization` (RFC 8628 §3.1): a client that may use the device grant
 * authenticates as at the token endpoint (a public client names itself with `client_id`) and gets a device code
 * to poll with, a user code for the person and the page to enter it on (§3.2). Errors are JSON bodies (§3.2
 * refers to RFC 6749 §5.2).
 */
export function registerDeviceAuthorizationEndpoint(app: FastifyInstance, deps: PeopleDeps): void {
  registerClientFormEndpoint(app, deps, deps.urls.paths.deviceAuthorization, (request, reply, form, client) =>
    authorizeDevice(request, reply, deps, form, client),
  );
}

async function authorizeDevice(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: PeopleDeps,
  form: Form,
  client: CompiledClient,
): Promise<FastifyReply> {
  checkMayUseDeviceGrant(client);
  const nowMs = deps.now();
  const value: Omit<DeviceAuthorizationRecord, 'deviceCodeDigest'> = {
    clientId: client.clientId,
    scopes: parseScopes(form.params.scope),
    resources: checkResources(form.resources),
    ...askedOrganization(client, form.params.organization),
    createdAtMs: nowMs,
    intervalSeconds: DEFAULT_POLL_INTERVAL_SECONDS,
  };
  for (let draw = 0; draw < USER_CODE_DRAWS; draw++) {
    const userCode = newUserCode();
    const deviceCode = newDeviceCode(userCode);
    const record = {
      key: userCode,
      value: { ...value, deviceCodeDigest: digestOf(deviceCode) },
      holder: request.ip,
      expiresAtMs: nowMs + DEVICE_CODE_LIFETIME_MS + DEVICE_RECORD_AFTERLIFE_MS,
    };
    const stored = await insertPending(deps, 'devicesPerAddress', record, nowMs);
    if (stored === 'exists') continue;
    if (!stored.stored) {
      throw new TooManyPending(
        'too many device sign-ins are in progress from this network; try again shortly',
        stored.retryAfterSeconds,
      );
    }
    return reply
      .code(200)
      .headers(NO_STORE)
      .send(JSON.stringify(deviceAuthorizationResponse(deps, deviceCode, userCode)));
  }
  throw new Error(`no free user code in ${USER_CODE_DRAWS} draws: the randomness is broken`);
}

/**
 * The client may start a device sign-in: it lists the device grant and signs people in (its people settings:
 * Connections, consent). RFC 8628 §3.2 refers to RFC 6749 §5.2, whose code for this is `unauthorized_client`.
 */
export function checkMayUseDeviceGrant(client: CompiledClient): void {
  if (!usesDeviceGrant(client)) {
    throw new UnauthorizedClient('this client may not use the device authorization grant (RFC 8628)', {
      detail: `client '${client.clientId}' does not list ${DEVICE_CODE_GRANT} in spec.grantTypes`,
    });
  }
}

/** §3.2: the codes, where to enter the user code (also with it filled in), how long and how often to poll. */
export function deviceAuthorizationResponse(
  deps: Pick<PeopleDeps, 'urls'>,
  deviceCode: string,
  userCode: string,
): Record<string, string | number> {
  const shown = formatUserCode(userCode);
  const complete = new URL(deps.urls.verificationUri);
  complete.searchParams.set('user_code', shown);
  return {
    device_code: deviceCode,
    user_code: shown,
    verification_uri: deps.urls.verificationUri,
    verification_uri_complete: complete.href,
    expires_in: DEVICE_CODE_LIFETIME_MS / 1000,
    interval: DEFAULT_POLL_INTERVAL_SECONDS,
  };
}
