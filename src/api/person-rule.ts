import { z } from 'zod';
import { objectRef, withRules, type CrossFieldRule } from './common.ts';

/** Most rules one Role (`spec.subjects`) or one Organization (`spec.members`) may hold. */
export const MAX_PERSON_RULES = 64;

// A DNS name as email domains are written (RFC 1035 labels), lowercase; compared with the part after `@`.
const EMAIL_DOMAIN = '^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$';
// Latchkey's user ids: `usr_` and 43 base64url characters (src/people/users.ts).
const USER_ID = '^usr_[A-Za-z0-9_-]{43}$';

/**
 * The fields of a rule that names people by what their sign-in says: the Connection they signed in through, a
 * value of its groups, the domain of a verified email, or Latchkey's user id (the `sub` of their tokens).
 */
export const personRuleFields = {
  connection: objectRef('Connection').optional().meta({
    description:
      "The Connection the person signed in through. Alone, it names everyone who signs in through it; with `group` or `emailDomain`, only those. The namespace defaults to this object's own; a Connection in another namespace must select this namespace in its `allowedNamespaces`.",
  }),
  group: z.string().min(1).max(256).optional().meta({
    description:
      "A value of the person's groups, as the Connection maps them (its `claims.groups`). Needs `connection`.",
  }),
  emailDomain: z.string().max(253).regex(new RegExp(EMAIL_DOMAIN)).optional().meta({
    description:
      "The domain of the person's email (`example.com` matches `alice@example.com`, not a subdomain), only when the Connection says the email is verified. Lowercase. Needs `connection`.",
  }),
  userId: z.string().regex(new RegExp(USER_ID)).optional().meta({
    description:
      "One person by Latchkey's user id (`usr_…`, the `sub` of their tokens), through any Connection. Not with the other fields.",
  }),
};

type PersonRuleValue = {
  connection?: unknown;
  group?: string | undefined;
  emailDomain?: string | undefined;
  userId?: string | undefined;
};

/**
 * The rules every person rule holds: either a Connection (with at most one narrowing, a group or an email domain)
 * or a user id alone.
 */
export function personRuleRules<T extends PersonRuleValue>(): CrossFieldRule<T>[] {
  return [
    {
      cel: 'has(self.connection) != has(self.userId)',
      message: 'a rule names either a connection (optionally with group or emailDomain) or a userId',
      field: 'connection',
      holds: (r) => (r.connection !== undefined) !== (r.userId !== undefined),
    },
    {
      cel: '(!has(self.group) && !has(self.emailDomain)) || has(self.connection)',
      message: 'group and emailDomain narrow a connection: name the connection they belong to',
      field: 'connection',
      holds: (r) => (r.group === undefined && r.emailDomain === undefined) || r.connection !== undefined,
    },
    {
      cel: '!(has(self.group) && has(self.emailDomain))',
      message: 'a rule has group or emailDomain, not both: write two rules',
      field: 'emailDomain',
      holds: (r) => !(r.group !== undefined && r.emailDomain !== undefined),
    },
  ];
}

/** A rule naming people, as a Role's `subjects` hold them. */
export const personRule = withRules(
  z.object(personRuleFields).meta({
    description:
      'People named by their sign-in: a Connection, optionally narrowed to a group or a verified email domain; or one user id.',
  }),
  personRuleRules(),
);

export type PersonRuleSpec = z.output<typeof personRule>;
