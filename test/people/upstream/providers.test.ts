import { describe, expect, it } from 'vitest';

import { systemClock } from '../../../src/clock.ts';
import type { PeopleDeps } from '../../../src/people/deps.ts';
import { upstreamProvider } from '../../../src/people/upstream/providers.ts';
import { signIn } from '../harness.ts';

describe('upstream providers by Connection type', () => {
  it.each(['test', 'kubernetes'] as const)('has none for type: %s', (type) => {
    expect(upstreamProvider(type, { now: systemClock })).toBeUndefined();
  });

  it('gives the same provider for the same deps, so its discovery cache is shared', () => {
    // Typed as the people deps the routes pass, so a change there that breaks this call fails to compile.
    const deps: Pick<PeopleDeps, 'now' | 'addressPolicy'> = { now: systemClock };
    expect(upstreamProvider('oidc', deps)).toBe(upstreamProvider('oidc', deps));
    expect(upstreamProvider('oidc', deps)).not.toBe(upstreamProvider('oidc', { now: systemClock }));
    expect(upstreamProvider('oidc', deps)).not.toBe(upstreamProvider('google', deps));
  });

  it('gives github the GitHub flow', async () => {
    const github = upstreamProvider('github', { now: systemClock });
    const connection = {
      namespace: 'n',
      name: 'gh',
      type: 'github' as const,
      keys: [],
      signIn: signIn({ clientId: 'c' }),
    };
    const start = await github!.begin(connection, 'https://latchkey.example/login/callback', 's');
    expect(start.url).toMatch(/^https:\/\/github\.com\/login\/oauth\/authorize\?/);
  });
});
