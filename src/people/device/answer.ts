import type { FastifyReply } from 'fastify';
import type { PeopleDeps } from '../deps.ts';
import { unsealCode } from '../digest.ts';
import { renderDeviceAnsweredPage } from '../pages/device-page.ts';
import { sendErrorPage } from '../pages/error-page.ts';
import { sendPage } from '../pages/layout.ts';
import { textsFor } from '../pages/texts.ts';
import type {
  AuthorizationRequestRecord,
  DeviceAuthorizationRecord,
  DeviceDecision,
  SessionRecord,
  SignInFacts,
} from '../records.ts';
import { mayStillSignIn, USER_CODE_SEAL } from './device-client.ts';
import { awaitsPerson } from './poll.ts';

/** The person's answer: approved as the person of this session, or denied. */
export type DeviceAnswer =
  { approved: true; session: SessionRecord; facts: SignInFacts; organization?: string } | { approved: false };

/**
 * Records the person's answer on the device authorization of a spent request (the caller consumed it, so two
 * tabs answering get one answer between them), and shows the page that says so. The device learns it at its
 * next poll. An authorization that stopped waiting meanwhile (expired, answered, its client changed) shows the
 * expired page and records nothing.
 */
export async function answerDevice(
  reply: FastifyReply,
  deps: PeopleDeps,
  requestId: string,
  spent: AuthorizationRequestRecord,
  answer: DeviceAnswer,
): Promise<FastifyReply> {
  const texts = textsFor();
  const sealed = spent.device?.sealedUserCode;
  const client = mayStillSignIn(deps.source.current(), spent.clientId);
  if (sealed === undefined || client === undefined) return sendDeviceExpired(reply);
  const userCode = unsealCode(requestId, USER_CODE_SEAL, sealed);
  const nowMs = deps.now();
  const decision: DeviceDecision = answer.approved
    ? {
        approved: true,
        atMs: nowMs,
        userId: answer.session.userId,
        sid: answer.session.sid,
        authTime: answer.session.authTime,
        amr: answer.session.amr,
        facts: answer.facts,
        ...(answer.organization === undefined ? {} : { organization: answer.organization }),
      }
    : { approved: false, atMs: nowMs };
  if (!(await recordDecision(deps, userCode, spent.clientId, decision, nowMs)))
    return sendDeviceExpired(reply);
  deps.events.emit('signIn.deviceAnswered', { clientId: spent.clientId, approved: answer.approved });
  const body = renderDeviceAnsweredPage(texts, answer.approved, client.people.displayName);
  return sendPage(reply, { body });
}

/** Sets the decision while the authorization still awaits it (compareAndSwap, retried against polls). */
async function recordDecision(
  deps: PeopleDeps,
  userCode: string,
  clientId: string,
  decision: DeviceDecision,
  nowMs: number,
): Promise<boolean> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const stored = await deps.state.get<DeviceAuthorizationRecord>('device_authorization', userCode, nowMs);
    if (stored === undefined || stored.value.clientId !== clientId || !awaitsPerson(stored.value, nowMs)) {
      return false;
    }
    const next = {
      value: { ...stored.value, decision },
      ...(stored.owner === undefined ? {} : { owner: stored.owner }),
      expiresAtMs: stored.expiresAtMs,
    };
    const swapped = await deps.state.compareAndSwap(
      'device_authorization',
      userCode,
      stored.version,
      next,
      nowMs,
    );
    if (swapped !== undefined) return true;
  }
  return false;
}

/** The page for a device sign-in that can no longer be answered. */
export function sendDeviceExpired(reply: FastifyReply): FastifyReply {
  const texts = textsFor();
  return sendErrorPage(reply, {
    status: 400,
    title: texts.deviceExpiredTitle,
    message: texts.deviceExpiredMessage,
    texts,
  });
}
