import { GITHUB_BASE_URL } from '../../api/connection-sign-in.ts';
import type { DeclaredConnection, SecretData } from '../objects.ts';
import { secretKey } from '../objects.ts';
import { ConditionType, Reason, type Problem } from '../reasons.ts';
import { digestSecret } from '../secrets.ts';
import type { ConnectionSignIn, TestUser } from '../snapshot.ts';
import type { ConditionDecision } from './conditions.ts';

/** How a Connection people sign in through compiles: its sign-in when usable, and what stands in the way. */
export interface SignInDecision {
  signIn?: ConnectionSignIn;
  problems: Problem[];
  conditions: ConditionDecision[];
}

/** The words of a `test` Connection refused outside `latchkey dev`. */
export const TEST_CONNECTION_REFUSED =
  'type test is for latchkey dev only: declare an oidc, github or google Connection in a cluster (the passwords of spec.testUsers are in plain text in the manifests)';

const NO_SIGN_IN: SignInDecision = Object.freeze({ problems: [], conditions: [] });

/**
 * Whether and how people sign in through a Connection: `kubernetes` and an `oidc` one without `clientId` serve
 * workload federation only; a `test` one only where `allowTest` (dev mode); one whose `clientSecretRef` cannot be
 * read yet is not used until it can, so no sign-in starts that the upstream would refuse.
 */
export function signInDecision(
  decl: DeclaredConnection,
  secrets: ReadonlyMap<string, SecretData>,
  allowTest: boolean,
): SignInDecision {
  const spec = decl.spec;
  if (spec.type === 'kubernetes' || (spec.type === 'oidc' && spec.clientId === undefined)) return NO_SIGN_IN;
  if (spec.type === 'test' && !allowTest) {
    return {
      problems: [{ reason: Reason.TestConnectionNotAllowed, message: TEST_CONNECTION_REFUSED }],
      conditions: [],
    };
  }
  const secret = spec.clientSecretRef === undefined ? undefined : upstreamSecretOf(decl, secrets);
  if (secret !== undefined && secret.value === undefined)
    return { problems: [], conditions: [secret.condition] };
  return {
    signIn: compiledSignIn(decl, secret?.value),
    problems: [],
    conditions: secret === undefined ? [] : [secret.condition],
  };
}

/** The Secrets Connections read their upstream client secret from, as `namespace/name`. */
export function connectionSecretKey(decl: DeclaredConnection): string | undefined {
  const ref = decl.spec.clientSecretRef;
  return ref === undefined ? undefined : secretKey(decl.metadata.namespace, ref.name);
}

/**
 * `SecretReady` of a Connection with `clientSecretRef`, and the secret when it is there. Messages name the
 * Secret and the key, never the value (design.md: secrets never reach status).
 */
function upstreamSecretOf(
  decl: DeclaredConnection,
  secrets: ReadonlyMap<string, SecretData>,
): { condition: ConditionDecision; value?: string } {
  const ref = decl.spec.clientSecretRef as { name: string; key: string };
  const where = `Secret ${decl.metadata.namespace}/${ref.name}`;
  const value = secrets.get(secretKey(decl.metadata.namespace, ref.name))?.data[ref.key];
  const missing = (message: string) => ({
    condition: {
      type: ConditionType.SecretReady,
      status: 'False' as const,
      reason: Reason.SecretMissing,
      message,
    },
  });
  if (!secrets.has(secretKey(decl.metadata.namespace, ref.name))) {
    return missing(
      `${where} (spec.clientSecretRef) not found: it holds Latchkey's client secret at the upstream`,
    );
  }
  if (value === undefined || value === '')
    return missing(`${where} has no key ${ref.key} (spec.clientSecretRef.key)`);
  return {
    condition: {
      type: ConditionType.SecretReady,
      status: 'True',
      reason: Reason.SecretAvailable,
      message: `the upstream client secret is in ${where} key ${ref.key}`,
    },
    value,
  };
}

/** The compiled sign-in settings: the schema's defaults where the spec says nothing. */
function compiledSignIn(decl: DeclaredConnection, clientSecret: string | undefined): ConnectionSignIn {
  const spec = decl.spec;
  const mapping = spec.claimMapping;
  return {
    displayName: spec.displayName ?? decl.metadata.name,
    ...(spec.clientId !== undefined ? { clientId: spec.clientId } : {}),
    ...(clientSecret !== undefined ? { clientSecret } : {}),
    scopes: spec.scopes ?? [],
    ...(spec.authorizationUrl !== undefined ? { authorizationUrl: spec.authorizationUrl } : {}),
    ...(spec.tokenUrl !== undefined ? { tokenUrl: spec.tokenUrl } : {}),
    ...(spec.profileUrl !== undefined ? { profileUrl: spec.profileUrl } : {}),
    claims: {
      userId: mapping?.userId ?? 'sub',
      email: mapping?.email ?? 'email',
      emailVerified: mapping?.emailVerified ?? 'email_verified',
      name: mapping?.name ?? 'name',
      username: mapping?.username ?? 'preferred_username',
      ...(mapping?.groups !== undefined ? { groups: mapping.groups } : {}),
    },
    userMatchingMode: spec.userMatchingMode ?? 'identifier',
    trustEmail: spec.trustEmail ?? false,
    hostedDomains: spec.hostedDomains ?? [],
    ...(spec.type === 'github' ? { baseUrl: spec.baseUrl ?? GITHUB_BASE_URL } : {}),
    allowedOrganizations: spec.allowedOrganizations ?? [],
    testUsers: (spec.testUsers ?? []).map(testUserOf),
  };
}

function testUserOf(u: NonNullable<DeclaredConnection['spec']['testUsers']>[number]): TestUser {
  return {
    username: u.username,
    passwordDigest: digestSecret(u.password),
    ...(u.email !== undefined ? { email: u.email } : {}),
    emailVerified: u.emailVerified ?? true,
    ...(u.name !== undefined ? { name: u.name } : {}),
    groups: u.groups ?? [],
  };
}
