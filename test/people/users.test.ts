import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IdentityRecord, UserRecord } from '../../src/people/records.ts';
import type { UpstreamIdentity } from '../../src/people/upstream/upstream.ts';
import {
  decideMatch,
  emailOwner,
  identityKey,
  resolveUser,
  signedInSince,
  USER_RETENTION_MS,
  type MatchInput,
  type ResolvedUser,
} from '../../src/people/users.ts';
import { openEmbeddedState } from '../../src/state/embedded/embedded-state.ts';
import type { RuntimeState } from '../../src/state/runtime-state.ts';
import type { ConnectionSignIn } from '../../src/store/snapshot.ts';

const NOW = 1_900_000_000_000;

function person(overrides: Partial<UpstreamIdentity> = {}): UpstreamIdentity {
  return {
    connection: 'people/corp',
    subject: 'sub-1',
    email: 'alice@example.com',
    emailVerified: true,
    name: 'Alice',
    username: 'alice',
    groups: [],
    amr: ['fed'],
    ...overrides,
  };
}

type Mode = ConnectionSignIn['userMatchingMode'];
const mode = (userMatchingMode: Mode, trustEmail = true) => ({ userMatchingMode, trustEmail });

describe('decideMatch', () => {
  const verified = { email: 'a@x', emailVerified: true, username: 'a' };
  const unverified = { ...verified, emailVerified: false };
  const rows: [string, MatchInput, ReturnType<typeof decideMatch>['kind'] | string][] = [
    [
      'identifier never looks at email',
      { mode: 'identifier', trustEmail: true, identity: verified, holders: ['u1'] },
      'create',
    ],
    [
      'email_link asks to confirm the one verified holder',
      { mode: 'email_link', trustEmail: true, identity: verified, holders: ['u1'] },
      'confirm',
    ],
    [
      'email_link links once confirmed',
      { mode: 'email_link', trustEmail: true, identity: verified, holders: ['u1'], confirmLinkTo: 'u1' },
      'link',
    ],
    [
      'email_link never links an unverified email',
      { mode: 'email_link', trustEmail: true, identity: unverified, holders: ['u1'] },
      'create',
    ],
    [
      'email_link never links through a Connection not trusted for email',
      { mode: 'email_link', trustEmail: false, identity: verified, holders: ['u1'] },
      'create',
    ],
    [
      'a confirmation does not override an unverified email',
      { mode: 'email_link', trustEmail: true, identity: unverified, holders: ['u1'], confirmLinkTo: 'u1' },
      'link_changed',
    ],
    [
      'a confirmation does not override an untrusted Connection',
      { mode: 'email_link', trustEmail: false, identity: verified, holders: ['u1'], confirmLinkTo: 'u1' },
      'link_changed',
    ],
    [
      'a confirmation for another user is refused',
      { mode: 'email_link', trustEmail: true, identity: verified, holders: ['u1'], confirmLinkTo: 'u2' },
      'link_changed',
    ],
    [
      'a confirmation after the holder went is refused',
      { mode: 'email_link', trustEmail: true, identity: verified, holders: [], confirmLinkTo: 'u1' },
      'link_changed',
    ],
    [
      'email_link with several holders is refused',
      { mode: 'email_link', trustEmail: true, identity: verified, holders: ['u1', 'u2'] },
      'several_matches',
    ],
    [
      'email_link with nobody holding the email creates',
      { mode: 'email_link', trustEmail: true, identity: verified, holders: [] },
      'create',
    ],
    [
      'email_link without an email creates',
      { mode: 'email_link', trustEmail: true, identity: { emailVerified: false }, holders: [] },
      'create',
    ],
    [
      'email_deny refuses an email another user holds',
      { mode: 'email_deny', trustEmail: false, identity: unverified, holders: ['u1'] },
      'email_in_use',
    ],
    [
      'email_deny creates when nobody holds it',
      { mode: 'email_deny', trustEmail: false, identity: verified, holders: [] },
      'create',
    ],
    [
      'username_link asks to confirm the one holder',
      { mode: 'username_link', trustEmail: false, identity: verified, holders: ['u1'] },
      'confirm',
    ],
    [
      'username_link with several holders is refused',
      { mode: 'username_link', trustEmail: false, identity: verified, holders: ['u1', 'u2'] },
      'several_matches',
    ],
    [
      'username_deny refuses a username in use',
      { mode: 'username_deny', trustEmail: false, identity: verified, holders: ['u1'] },
      'username_in_use',
    ],
    [
      'identifier refuses a confirmation (the mode changed meanwhile)',
      { mode: 'identifier', trustEmail: true, identity: verified, holders: [], confirmLinkTo: 'u1' },
      'link_changed',
    ],
  ];
  it.each(rows)('%s', (_name, input, expected) => {
    const decision = decideMatch(input);
    expect(decision.kind === 'refuse' ? decision.reason : decision.kind).toBe(expected);
  });

  it('says in words why several matches are refused', () => {
    const d = decideMatch({
      mode: 'email_link',
      trustEmail: true,
      identity: { email: 'a@x', emailVerified: true },
      holders: ['u1', 'u2'],
    });
    expect(d).toMatchObject({
      kind: 'refuse',
      message: expect.stringContaining('More than one account has this email address'),
    });
  });
});

describe('signedInSince', () => {
  const user = (lastSignInAtMs: number): UserRecord => ({
    id: 'usr_1',
    emailVerified: false,
    groups: [],
    createdAtMs: 0,
    lastSignInAtMs,
  });
  it.each([
    [1000, 1001, true],
    [1000, 1000, false],
    [1000, 999, false],
  ])('last sign-in %i then %i: another sign-in wrote it meanwhile: %s', (before, now, expected) => {
    expect(signedInSince(user(before), user(now))).toBe(expected);
  });
});

describe('resolveUser', () => {
  let state: RuntimeState;
  beforeEach(async () => {
    state = await openEmbeddedState({ path: ':memory:' });
  });
  afterEach(() => state.close());

  function signedIn(result: ResolvedUser): UserRecord {
    if (result.kind !== 'signed_in') throw new Error(`expected signed_in, got ${JSON.stringify(result)}`);
    return result.user;
  }

  it('creates a usr_ user on first sign-in and finds the same one next time, by Connection and subject', async () => {
    const first = signedIn(await resolveUser(state, mode('identifier'), person(), NOW));
    expect(first.id).toMatch(/^usr_[A-Za-z0-9_-]{43}$/);
    expect(first).toMatchObject({
      email: 'alice@example.com',
      emailVerified: true,
      createdAtMs: NOW,
      lastSignInAtMs: NOW,
    });
    const again = signedIn(
      await resolveUser(state, mode('identifier'), person({ name: 'Alice B' }), NOW + 1000),
    );
    expect(again).toMatchObject({
      id: first.id,
      name: 'Alice B',
      createdAtMs: NOW,
      lastSignInAtMs: NOW + 1000,
    });
  });

  it('keeps users and identities 400 days after the last sign-in, then forgets them', async () => {
    const user = signedIn(await resolveUser(state, mode('identifier'), person(), NOW));
    const later = NOW + USER_RETENTION_MS - 1;
    signedIn(await resolveUser(state, mode('identifier'), person(), later));
    expect((await state.get('user', user.id, later + USER_RETENTION_MS - 1))?.expiresAtMs).toBe(
      later + USER_RETENTION_MS,
    );
    const key = identityKey('people/corp', 'sub-1');
    expect(await state.get('identity', key, later + USER_RETENTION_MS)).toBeUndefined();
    const fresh = signedIn(await resolveUser(state, mode('identifier'), person(), later + USER_RETENTION_MS));
    expect(fresh.id).not.toBe(user.id);
  });

  it('a second Connection with the same subject string is a different person', async () => {
    const corp = signedIn(await resolveUser(state, mode('identifier'), person(), NOW));
    const other = signedIn(
      await resolveUser(state, mode('identifier'), person({ connection: 'people/other' }), NOW),
    );
    expect(other.id).not.toBe(corp.id);
  });

  it("nOAuth: changing your email upstream to someone else's never signs you in as them", async () => {
    const victim = signedIn(await resolveUser(state, mode('email_link'), person(), NOW));
    const attacker = signedIn(
      await resolveUser(
        state,
        mode('email_link'),
        person({ subject: 'sub-evil', email: 'eve@example.com' }),
        NOW,
      ),
    );
    // The attacker sets the victim's address on their own account upstream, verified or not.
    for (const emailVerified of [false, true]) {
      const again = signedIn(
        await resolveUser(state, mode('email_link'), person({ subject: 'sub-evil', emailVerified }), NOW + 1),
      );
      expect(again.id).toBe(attacker.id);
      expect(again.id).not.toBe(victim.id);
    }
  });

  it('keycloak#53041 / CVE-2026-9087: an unverified email never links, even confirmed', async () => {
    const victim = signedIn(await resolveUser(state, mode('email_link'), person(), NOW));
    const claim = person({ connection: 'people/social', subject: 'x', emailVerified: false });
    const first = signedIn(await resolveUser(state, mode('email_link'), claim, NOW));
    expect(first.id).not.toBe(victim.id);
    const evil = person({ connection: 'people/social2', subject: 'y', emailVerified: false });
    expect(
      await resolveUser(state, mode('email_link'), evil, NOW, { confirmLinkTo: victim.id }),
    ).toMatchObject({
      kind: 'refused',
      reason: 'link_changed',
    });
  });

  it('a Connection not trusted for email never links, even on a verified email it reports', async () => {
    const victim = signedIn(await resolveUser(state, mode('email_link'), person(), NOW));
    const untrusted = person({ connection: 'people/social', subject: 'x' });
    expect(
      await resolveUser(state, mode('email_link', false), untrusted, NOW, { confirmLinkTo: victim.id }),
    ).toMatchObject({
      kind: 'refused',
    });
    const created = signedIn(await resolveUser(state, mode('email_link', false), untrusted, NOW));
    expect(created.id).not.toBe(victim.id);
  });

  it('email_link: a verified email from a trusted Connection links after the person confirms', async () => {
    const existing = signedIn(await resolveUser(state, mode('identifier'), person(), NOW));
    const other = person({ connection: 'people/github', subject: '42', email: 'ALICE@example.com' });
    expect(await resolveUser(state, mode('email_link'), other, NOW)).toEqual({
      kind: 'confirm_link',
      userId: existing.id,
    });
    const linked = signedIn(
      await resolveUser(state, mode('email_link'), other, NOW, { confirmLinkTo: existing.id }),
    );
    expect(linked.id).toBe(existing.id);
    // Linked: the next sign-in needs no confirmation.
    expect(signedIn(await resolveUser(state, mode('email_link'), other, NOW + 1)).id).toBe(existing.id);
    const identity = await state.get<IdentityRecord>('identity', identityKey('people/github', '42'), NOW);
    expect(identity?.value.userId).toBe(existing.id);
    expect(identity?.owner).toBe(emailOwner('alice@example.com'));
  });

  it('email_link refuses when several users hold the email', async () => {
    await resolveUser(state, mode('identifier'), person({ connection: 'people/a' }), NOW);
    await resolveUser(state, mode('identifier'), person({ connection: 'people/b' }), NOW);
    expect(
      await resolveUser(state, mode('email_link'), person({ connection: 'people/c' }), NOW),
    ).toMatchObject({
      kind: 'refused',
      reason: 'several_matches',
    });
  });

  it('email_deny refuses a new identity whose email another user holds', async () => {
    await resolveUser(state, mode('identifier'), person(), NOW);
    const other = person({ connection: 'people/github', subject: '42' });
    expect(await resolveUser(state, mode('email_deny'), other, NOW)).toMatchObject({
      kind: 'refused',
      reason: 'email_in_use',
    });
    // The one who holds it still signs in.
    expect((await resolveUser(state, mode('email_deny'), person(), NOW)).kind).toBe('signed_in');
  });

  it('username_link and username_deny match on the username, case-insensitively', async () => {
    const existing = signedIn(await resolveUser(state, mode('identifier'), person(), NOW));
    const other = person({ connection: 'people/github', subject: '42', email: undefined, username: 'Alice' });
    expect(await resolveUser(state, mode('username_link'), other, NOW)).toEqual({
      kind: 'confirm_link',
      userId: existing.id,
    });
    expect(await resolveUser(state, mode('username_deny'), other, NOW)).toMatchObject({
      reason: 'username_in_use',
    });
    const linked = signedIn(
      await resolveUser(state, mode('username_link'), other, NOW, { confirmLinkTo: existing.id }),
    );
    expect(linked.id).toBe(existing.id);
  });

  it('one identity signing in twice at once makes one user', async () => {
    const results = await Promise.all(
      [1, 2, 3].map(() => resolveUser(state, mode('identifier'), person(), NOW)),
    );
    const ids = new Set(results.map((r) => signedIn(r).id));
    expect(ids.size).toBe(1);
  });

  it('a person signing in from twenty tabs at once signs in twenty times, as one user', async () => {
    const first = signedIn(await resolveUser(state, mode('identifier'), person(), NOW));
    const later = NOW + 1_000;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        resolveUser(state, mode('identifier'), person({ name: `Alice ${i}` }), later),
      ),
    );
    expect(new Set(results.map((r) => signedIn(r).id))).toEqual(new Set([first.id]));
    const stored = await state.get<UserRecord>('user', first.id, later);
    expect(stored?.value.lastSignInAtMs).toBe(later);
    expect(stored?.value.name).toMatch(/^Alice \d+$/);
  });
});
