import type { CompiledPeopleClient } from '../../store/snapshot.ts';
import type { AuthorizationRequestRecord, SessionRecord } from '../records.ts';
import { hasConsent } from '../session.ts';

/** What happens next with an authorization request. */
export type NextStep =
  | { step: 'sign_in'; reason: string }
  | { step: 'consent'; reason: string }
  | { step: 'refuse'; error: 'login_required' | 'consent_required'; reason: string }
  | { step: 'issue_code' };

export interface NextStepInput {
  request: AuthorizationRequestRecord;
  /** The browser's session, if it has one. */
  session: SessionRecord | undefined;
  client: CompiledPeopleClient;
  /** The Connections this sign-in offers (src/people/membership/organization.ts): the session's must be one. */
  connections: readonly string[];
  nowMs: number;
}

/**
 * Decides whether the person must sign in, must consent, or gets a code (OpenID Connect Core §3.1.2.3 and
 * §3.1.2.4). With `prompt=none` nothing may be shown, so either would-be page is an error instead (§3.1.2.6).
 * A sign-in or consent that happened for this very request (`signedInAtMs`, `consented`) satisfies
 * `prompt=login`, `max_age` and `prompt=consent`, so the person is not asked twice.
 */
export function decideNextStep(input: NextStepInput): NextStep {
  const signIn = signInReason(input);
  if (signIn !== undefined) {
    return input.request.prompt.includes('none')
      ? { step: 'refuse', error: 'login_required', reason: signIn }
      : { step: 'sign_in', reason: signIn };
  }
  const consent = consentReason(input);
  if (consent !== undefined) {
    return input.request.prompt.includes('none')
      ? { step: 'refuse', error: 'consent_required', reason: consent }
      : { step: 'consent', reason: consent };
  }
  return { step: 'issue_code' };
}

function signInReason({ request, session, connections, nowMs }: NextStepInput): string | undefined {
  if (session === undefined) return 'no session';
  if (!connections.includes(session.connection)) {
    return `the session's Connection ${session.connection} is not offered by this client${request.organization === undefined ? '' : ' for this organization'}`;
  }
  if (request.signedInAtMs !== undefined) return undefined;
  if (request.prompt.includes('login')) return 'prompt=login';
  if (request.prompt.includes('select_account')) return 'prompt=select_account';
  const maxAge = request.maxAgeSeconds;
  // max_age=0 asks for a fresh sign-in, as prompt=login does (OpenID Connect Core §3.1.2.1).
  if (maxAge !== undefined && (maxAge === 0 || Math.floor(nowMs / 1000) - session.authTime > maxAge)) {
    return `the sign-in is older than max_age=${maxAge}`;
  }
  return undefined;
}

function consentReason({ request, session, client }: NextStepInput): string | undefined {
  if (request.consented === true) return undefined;
  // RFC 8628 §5.4: a device's sign-in is confirmed every time, by any client, against remote phishing.
  if (request.device !== undefined) return 'a device sign-in is always confirmed';
  if (request.prompt.includes('consent')) return 'prompt=consent';
  if (client.firstParty) return undefined;
  if (session !== undefined && hasConsent(session, request.clientId, request.scopes)) return undefined;
  return 'no consent for these scopes';
}
