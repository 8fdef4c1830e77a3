import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import {
  IMAGE_NODE_FLAGS,
  oauthClientManifest,
  resourceServerManifests,
} from '../../../bench/lib/latchkey-dev.ts';
import { changedWhere } from '../../../bench/lib/run-info.ts';

const parseOne = (text: string) => {
  const docs = parseAllDocuments(text);
  expect(docs).toHaveLength(1);
  return docs[0]?.toJS() as { metadata: unknown; spec: Record<string, unknown> };
};

describe('how the benches start Latchkey', () => {
  it('with the node options of the container image, so they measure what runs in a cluster', async () => {
    const dockerfile = await readFile(new URL('../../../Dockerfile', import.meta.url), 'utf8');
    const entrypoint = JSON.parse(/^ENTRYPOINT (.*)$/m.exec(dockerfile)?.[1] ?? '[]') as string[];
    expect(entrypoint.slice(1, -1)).toEqual(IMAGE_NODE_FLAGS);
  });
});

describe('the manifests of the token benches', () => {
  it('declare one ResourceServer per algorithm with 5 minute tokens', () => {
    const [rs256, es256] = resourceServerManifests().map(parseOne);
    expect(rs256?.metadata).toEqual({ name: 'bench-rs256', namespace: 'bench' });
    expect(rs256?.spec).toEqual({
      identifier: 'https://bench-rs256.local',
      scopes: [{ name: 'bench:read' }],
      accessToken: { lifetime: '5m', signingAlgorithm: 'RS256' },
    });
    expect(es256?.spec.identifier).toBe('https://bench-es256.local');
  });

  it('give a client_secret_basic client a generated Secret and a grant per algorithm', () => {
    const client = parseOne(
      oauthClientManifest('bench-client', { algs: ['RS256', 'ES256'], auth: 'client_secret_basic' }),
    );
    expect(client.spec).toEqual({
      appType: 'non_interactive',
      grantTypes: ['client_credentials'],
      tokenEndpointAuthMethod: 'client_secret_basic',
      grants: [
        { resourceServer: { name: 'bench-rs256' }, scopes: ['bench:read'] },
        { resourceServer: { name: 'bench-es256' }, scopes: ['bench:read'] },
      ],
      secret: { source: 'Generate' },
    });
  });

  it('give a private_key_jwt client its id, its own fields and no Secret', () => {
    const client = parseOne(
      oauthClientManifest('bench-jwt', {
        algs: ['ES256'],
        auth: 'private_key_jwt',
        namedId: true,
        lines: ['  jwks: { keys: [{"kty":"EC","crv":"P-256","x":"x","y":"y"}] }'],
      }),
    );
    expect(client.spec).toMatchObject({
      clientId: 'bench-jwt',
      tokenEndpointAuthMethod: 'private_key_jwt',
      jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }] },
    });
    expect(client.spec).not.toHaveProperty('secret');
  });
});

describe('what a results file says of uncommitted changes', () => {
  it('names the server code and the dependencies', () => {
    expect(changedWhere(['src'])).toBe('src/ or package.json');
  });

  it("names the operator's CRDs too for the reconcile bench", () => {
    expect(changedWhere(['src', 'crds'])).toBe('src/, crds/ or package.json');
  });
});
