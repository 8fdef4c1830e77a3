import type { RuntimeState, StoredRecord } from '../state/runtime-state.ts';
import type { ConnectionSignIn } from '../store/snapshot.ts';
import { digestOf, randomToken } from './digest.ts';
import { en } from './pages/texts.ts';
import type { IdentityRecord, UserRecord } from './records.ts';
import type { UpstreamIdentity } from './upstream/upstream.ts';

/**
 * Users and their linked identities (issue 12). A person is found by the identity they signed in with:
 * Connection + upstream subject, never a mutable claim such as email (the Entra "nOAuth" takeover: an email
 * claim anyone can set upstream must never name a person). Only the matching modes look at email or username,
 * and only when an identity is new.
 */

/**
 * Users and identities expire this long after the last sign-in: runtime state stays bounded (every record
 * expires, design.md "Runtime state") and a person gone for over a year starts again as a new user. Longer than
 * a year, so a yearly task still finds its account.
 */
export const USER_RETENTION_MS = 400 * 24 * 60 * 60 * 1000;

/** What signing in as `identity` comes to. */
export type ResolvedUser =
  | { kind: 'signed_in'; user: UserRecord }
  /** The person must confirm linking to this existing user first; then call again with `confirmLinkTo`. */
  | { kind: 'confirm_link'; userId: string }
  | { kind: 'refused'; reason: RefusalReason; message: string };

export type RefusalReason = 'several_matches' | 'email_in_use' | 'username_in_use' | 'link_changed';

/** The key of an `identity` record (records.ts). */
export function identityKey(connection: string, subject: string): string {
  return `${connection}\0${subject}`;
}

/** The owner of the identities that hold a verified email: how email matching finds users. */
export function emailOwner(email: string): string {
  return `email:${digestOf(email.toLowerCase())}`;
}

/** The owner of the user whose username this is: how username matching finds users. */
export function usernameOwner(username: string): string {
  return `username:${digestOf(username.toLowerCase())}`;
}

/** How a new identity is matched to the users that exist: the pure part of {@link resolveUser}. */
export type MatchDecision =
  | { kind: 'create' }
  | { kind: 'link'; userId: string }
  | { kind: 'confirm'; userId: string }
  | { kind: 'refuse'; reason: RefusalReason; message: string };

export interface MatchInput {
  mode: ConnectionSignIn['userMatchingMode'];
  trustEmail: boolean;
  identity: Pick<UpstreamIdentity, 'email' | 'emailVerified' | 'username'>;
  /** Distinct users holding the identity's email (email modes: verified emails only) or username. */
  holders: readonly string[];
  /** The user the person confirmed linking to on the confirmation page. */
  confirmLinkTo?: string;
}

/**
 * Decides what a new identity becomes. Linking by email needs all three: the upstream says `email_verified`,
 * the Connection is trusted for email, and the person confirms (keycloak#53041 and CVE-2026-9087 linked on an
 * unverified or untrusted email). A confirmation is checked again against what holds now.
 */
export function decideMatch(input: MatchInput): MatchDecision {
  const { mode, identity, holders, confirmLinkTo } = input;
  const byEmail = mode === 'email_link' || mode === 'email_deny';
  const what = byEmail ? en.matchEmail : en.matchUsername;
  const value = byEmail ? identity.email : identity.username;
  const linkable = mode === 'email_link' ? identity.emailVerified && input.trustEmail : true;
  if (mode === 'identifier' || value === undefined || value === '') return confirmed(confirmLinkTo);
  if (mode === 'email_deny' || mode === 'username_deny') {
    if (holders.length > 0) {
      return refuse(mode === 'email_deny' ? 'email_in_use' : 'username_in_use', en.refusedInUse(what));
    }
    return confirmed(confirmLinkTo);
  }
  if (!linkable) return confirmed(confirmLinkTo);
  if (holders.length > 1) return refuse('several_matches', en.refusedSeveralMatches(what));
  const [holder] = holders;
  if (holder === undefined) return confirmed(confirmLinkTo);
  if (confirmLinkTo === undefined) return { kind: 'confirm', userId: holder };
  return confirmLinkTo === holder
    ? { kind: 'link', userId: holder }
    : refuse('link_changed', en.refusedLinkChanged);
}

/** `create`, unless the person confirmed a link that no longer applies. */
function confirmed(confirmLinkTo: string | undefined): MatchDecision {
  return confirmLinkTo === undefined ? { kind: 'create' } : refuse('link_changed', en.refusedLinkChanged);
}

function refuse(reason: RefusalReason, message: string): MatchDecision {
  return { kind: 'refuse', reason, message };
}

/**
 * Finds or creates the user behind `identity`: a known identity signs in as its user (updating the profile
 * from this sign-in); a new one is matched by the Connection's `userMatchingMode` ({@link decideMatch}).
 *
 * @example
 * const result = await resolveUser(state, connection.signIn, identity, now());
 * if (result.kind === 'confirm_link') showLinkPage(result.userId);
 */
export async function resolveUser(
  state: RuntimeState,
  signIn: Pick<ConnectionSignIn, 'userMatchingMode' | 'trustEmail'>,
  identity: UpstreamIdentity,
  nowMs: number,
  options: { confirmLinkTo?: string } = {},
): Promise<ResolvedUser> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const key = identityKey(identity.connection, identity.subject);
    const known = await state.get<IdentityRecord>('identity', key, nowMs);
    if (known !== undefined) {
      const user = await refreshUser(state, known.value.userId, identity, nowMs);
      if (user !== undefined) {
        await touchIdentity(state, key, known, identity, nowMs);
        return { kind: 'signed_in', user };
      }
      // Its user expired first: the identity names nobody now, and starts over as new.
      await state.consume('identity', key, nowMs);
    }
    const holders = await holdersOf(state, signIn.userMatchingMode, identity, nowMs);
    const decision = decideMatch({ ...signIn, mode: signIn.userMatchingMode, identity, holders, ...options });
    if (decision.kind === 'refuse')
      return { kind: 'refused', reason: decision.reason, message: decision.message };
    if (decision.kind === 'confirm') return { kind: 'confirm_link', userId: decision.userId };
    const user =
      decision.kind === 'create'
        ? await createUser(state, identity, nowMs)
        : await refreshUser(state, decision.userId, identity, nowMs);
    if (user === undefined)
      return { kind: 'refused', reason: 'link_changed', message: en.refusedLinkChanged };
    const created = await state.insert<IdentityRecord>(
      'identity',
      key,
      identityInput(user.id, identity, nowMs),
      nowMs,
    );
    if (created === 'created') return { kind: 'signed_in', user };
    // The same identity signed in at once elsewhere and won: undo our new user and take the path of a known one.
    if (decision.kind === 'create') await state.consume('user', user.id, nowMs);
  }
  throw new Error('the identity changed on every attempt to resolve its user');
}

async function holdersOf(
  state: RuntimeState,
  mode: ConnectionSignIn['userMatchingMode'],
  identity: UpstreamIdentity,
  nowMs: number,
): Promise<string[]> {
  if (mode === 'identifier') return [];
  // A few are enough: one holder links, more than one is refused.
  const limit = 10;
  if (mode === 'email_link' || mode === 'email_deny') {
    if (identity.email === undefined || identity.email === '') return [];
    const found = await state.listByOwner<IdentityRecord>(
      'identity',
      emailOwner(identity.email),
      nowMs,
      limit,
    );
    return [...new Set(found.map((r) => r.value.userId))];
  }
  if (identity.username === undefined || identity.username === '') return [];
  const found = await state.listByOwner<UserRecord>('user', usernameOwner(identity.username), nowMs, limit);
  return [...new Set(found.map((r) => r.value.id))];
}

function profileOf(identity: UpstreamIdentity): Omit<UserRecord, 'id' | 'createdAtMs' | 'lastSignInAtMs'> {
  return {
    ...(identity.email === undefined ? {} : { email: identity.email }),
    emailVerified: identity.email !== undefined && identity.emailVerified,
    ...(identity.name === undefined ? {} : { name: identity.name }),
    ...(identity.username === undefined ? {} : { username: identity.username }),
    groups: [...identity.groups],
  };
}

function userInput(user: UserRecord, nowMs: number) {
  return {
    value: user,
    ...(user.username === undefined ? {} : { owner: usernameOwner(user.username) }),
    expiresAtMs: nowMs + USER_RETENTION_MS,
  };
}

function identityInput(userId: string, identity: UpstreamIdentity, nowMs: number) {
  const value: IdentityRecord = { userId, connection: identity.connection, subject: identity.subject };
  // Only a verified email joins the index that email matching reads: an unverified one holds nothing.
  const verified = identity.emailVerified && identity.email !== undefined && identity.email !== '';
  return {
    value,
    ...(verified ? { owner: emailOwner(identity.email as string) } : {}),
    expiresAtMs: nowMs + USER_RETENTION_MS,
  };
}

async function createUser(
  state: RuntimeState,
  identity: UpstreamIdentity,
  nowMs: number,
): Promise<UserRecord> {
  const user: UserRecord = {
    id: randomToken('usr_'),
    ...profileOf(identity),
    createdAtMs: nowMs,
    lastSignInAtMs: nowMs,
  };
  const result = await state.insert('user', user.id, userInput(user, nowMs), nowMs);
  // 256 random bits do not collide; anything else means the randomness is broken.
  if (result !== 'created') throw new Error(`a new user could not be stored: ${result}`);
  return user;
}

/**
 * The user with this sign-in's profile and a new expiry, or undefined when the user no longer exists. When
 * another sign-in of the same person wrote the user between our read and our write (a person opening several
 * tabs, a CLI and a browser at once), its write is as fresh as ours and is kept: retrying would only make
 * every concurrent sign-in of one person race the others, and on a busy database some would run out of tries.
 */
async function refreshUser(
  state: RuntimeState,
  userId: string,
  identity: UpstreamIdentity,
  nowMs: number,
): Promise<UserRecord | undefined> {
  let seen: StoredRecord<UserRecord> | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    const stored = await state.get<UserRecord>('user', userId, nowMs);
    if (stored === undefined) return undefined;
    if (seen !== undefined && signedInSince(seen.value, stored.value)) return stored.value;
    seen = stored;
    const user: UserRecord = {
      id: stored.value.id,
      ...profileOf(identity),
      createdAtMs: stored.value.createdAtMs,
      lastSignInAtMs: nowMs,
    };
    const swapped = await state.compareAndSwap('user', userId, stored.version, userInput(user, nowMs), nowMs);
    if (swapped !== undefined) return user;
  }
  throw new Error('the user changed on every attempt to record a sign-in');
}

/** Whether `now` is `before` rewritten by a later sign-in: another sign-in won the race to record itself. */
export function signedInSince(before: UserRecord, now: UserRecord): boolean {
  return now.lastSignInAtMs > before.lastSignInAtMs;
}

/** Extends the identity's expiry and moves it to the owner of its email as of this sign-in. */
async function touchIdentity(
  state: RuntimeState,
  key: string,
  known: StoredRecord<IdentityRecord>,
  identity: UpstreamIdentity,
  nowMs: number,
): Promise<void> {
  // Losing a race here only loses a newer expiry another sign-in of the same identity wrote anyway.
  await state.compareAndSwap(
    'identity',
    key,
    known.version,
    identityInput(known.value.userId, identity, nowMs),
    nowMs,
  );
}
