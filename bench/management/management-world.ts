/** The client that lists: in the Latchkey namespace, granted reading clients everywhere. */
export const ADMIN = { namespace: 'latchkey-system', name: 'bench-admin' };

/** The namespaces the listed clients are spread over, as teams would. */
export const NAMESPACES = Array.from({ length: 10 }, (_, i) => `team-${i}`);

/**
 * `clients` OAuthClients spread over {@link NAMESPACES}, and the admin client. The listed ones authenticate
 * with keys at a `jwksUri` (never fetched here), so dev mode writes no Secret for each.
 */
export function managementManifests(clients: number): string {
  const listed = Array.from({ length: clients }, (_, i) =>
    [
      'apiVersion: latchkey.dev/v1alpha1',
      'kind: OAuthClient',
      `metadata: { name: app-${String(i).padStart(5, '0')}, namespace: ${NAMESPACES[i % NAMESPACES.length]} }`,
      'spec:',
      `  displayName: Application ${i}`,
      '  tokenEndpointAuthMethod: private_key_jwt',
      '  jwksUri: https://keys.example.com/jwks.json',
      '',
    ].join('\n'),
  );
  const admin = [
    'apiVersion: latchkey.dev/v1alpha1',
    'kind: OAuthClient',
    `metadata: { name: ${ADMIN.name}, namespace: ${ADMIN.namespace} }`,
    'spec:',
    '  grants:',
    '    - { resourceServer: { name: management-api }, scopes: [read:clients] }',
    '',
  ].join('\n');
  return [admin, ...listed].join('---\n');
}
