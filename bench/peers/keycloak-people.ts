/**
 * The people cases of `npm run bench:peers` at Keycloak: in the bench realm, a person with a password, a web
 * client (standard flow, PKCE S256 required, client secret, RS256 tokens, the API's audience and scope, and
 * `offline_access`), and refresh tokens that rotate and may be used once, as Latchkey's and
 * node-oidc-provider's are.
 */

import type { KeycloakAdmin } from './keycloak.ts';

export interface KeycloakPeople {
  realm: string;
  client: { clientId: string; clientSecret: string; redirectUri: string };
  person: { username: string; password: string };
  scope: string;
  audience: string;
}

/** Creates the person and the web client; the realm's refresh tokens become one-time. */
export async function setUpPeople(admin: KeycloakAdmin, people: KeycloakPeople): Promise<void> {
  const { realm } = people;
  // Keycloak's refresh rotation (RFC 9700 §4.14.2): each use revokes the token used.
  await admin.request('PUT', `/${realm}`, { revokeRefreshToken: true, refreshTokenMaxReuse: 0 });
  await admin.request('POST', `/${realm}/users`, {
    username: people.person.username,
    enabled: true,
    email: `${people.person.username}@example.com`,
    emailVerified: true,
    // The default user profile asks for both names: without them the sign-in would stop at a form.
    firstName: 'Bench',
    lastName: 'Person',
    requiredActions: [],
    credentials: [{ type: 'password', value: people.person.password, temporary: false }],
  });
  await admin.request('POST', `/${realm}/clients`, {
    clientId: people.client.clientId,
    secret: people.client.clientSecret,
    enabled: true,
    protocol: 'openid-connect',
    publicClient: false,
    clientAuthenticatorType: 'client-secret',
    standardFlowEnabled: true,
    serviceAccountsEnabled: false,
    implicitFlowEnabled: false,
    directAccessGrantsEnabled: false,
    consentRequired: false,
    redirectUris: [people.client.redirectUri],
    attributes: {
      'pkce.code.challenge.method': 'S256',
      'access.token.signed.response.alg': 'RS256',
      'id.token.signed.response.alg': 'RS256',
    },
    defaultClientScopes: ['basic', people.scope],
    optionalClientScopes: ['offline_access'],
    protocolMappers: [
      {
        name: 'audience',
        protocol: 'openid-connect',
        protocolMapper: 'oidc-audience-mapper',
        config: {
          'included.custom.audience': people.audience,
          'access.token.claim': 'true',
          'id.token.claim': 'false',
          'introspection.token.claim': 'true',
        },
      },
    ],
  });
}
