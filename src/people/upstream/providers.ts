import type { ConnectionType } from '../../store/snapshot.ts';
import { githubProvider } from './github.ts';
import { googleProvider } from './google.ts';
import { oidcProvider } from './oidc.ts';
import type { UpstreamDeps } from './upstream-http.ts';
import type { UpstreamProvider } from './upstream.ts';

/** One set of providers per deps object, so their discovery and key caches live as long as the server's deps. */
const built = new WeakMap<UpstreamDeps, Map<ConnectionType, UpstreamProvider>>();

/**
 * The provider of a Connection type people sign in through a redirect: `oidc`, `google`, `github`. Undefined
 * for `test` (its people are checked by `verifyTestUser`) and `kubernetes` (workloads only).
 *
 * @param deps the people deps (src/people/deps.ts) or any object with a clock and the address policy; the same
 *   object yields the same providers, so discovery and keys are cached across sign-ins
 * @example
 * const provider = upstreamProvider(connection.type, deps);
 * if (provider) redirectTo((await provider.begin(connection, callbackUrl, state)).url);
 */
export function upstreamProvider(type: ConnectionType, deps: UpstreamDeps): UpstreamProvider | undefined {
  let providers = built.get(deps);
  if (providers === undefined) {
    providers = new Map();
    built.set(deps, providers);
  }
  const existing = providers.get(type);
  if (existing !== undefined) return existing;
  const provider = create(type, deps);
  if (provider !== undefined) providers.set(type, provider);
  return provider;
}

function create(type: ConnectionType, deps: UpstreamDeps): UpstreamProvider | undefined {
  switch (type) {
    case 'oidc':
      return oidcProvider(deps);
    case 'google':
      return googleProvider(deps);
    case 'github':
      return githubProvider(deps);
    case 'test':
    case 'kubernetes':
      return undefined;
  }
}
