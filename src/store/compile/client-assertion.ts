import { parseDuration } from '../../api/duration.ts';
import type { OAuthClientSpec } from '../../api/oauth-client.ts';
import type { CompiledClient } from '../snapshot.ts';

/**
 * The part of a compiled client that says how long its own assertions may live
 * (`spec.clientAssertion.maxLifetime`, issue 9 item 13); nothing when the spec leaves the default. The schema
 * has already bounded the duration to 1s..1h.
 *
 * @example
 * const compiled = { clientId, ...assertionLifetimeOf(spec) }; // { clientId, assertionMaxLifetimeSeconds: 3600 }
 */
export function assertionLifetimeOf(
  spec: Pick<OAuthClientSpec, 'clientAssertion'>,
): Pick<CompiledClient, 'assertionMaxLifetimeSeconds'> {
  const text = spec.clientAssertion?.maxLifetime;
  const ms = text === undefined ? undefined : parseDuration(text);
  return ms === undefined ? {} : { assertionMaxLifetimeSeconds: Math.floor(ms / 1000) };
}
