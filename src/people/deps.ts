import type { Clock } from '../clock.ts';
import type { EventBus } from '../events.ts';
import type { AddressPolicy } from '../outbound/address-policy.ts';
import type { RevocationStore } from '../runtime/revocation-store.ts';
import type { ClientAuthDeps } from '../server/client-auth.ts';
import type { IssuerUrls } from '../server/issuer.ts';
import type { RuntimeState } from '../state/runtime-state.ts';
import type { SnapshotSource } from '../store/snapshot.ts';
import type { UserCodeLimits } from './device/user-code-throttle.ts';
import type { PendingLimits } from './pending.ts';
import type { SignInLimits } from './throttle.ts';

/**
 * What every people sign-in module gets (issue 12): the snapshot in force, the endpoint URLs, the clock, the
 * runtime state where requests, codes, sessions, users and refresh tokens live, and the events that logging and
 * metrics subscribe to. Built once in src/server/app.ts; modules never read globals or the environment.
 */
export interface PeopleDeps {
  source: SnapshotSource;
  urls: IssuerUrls;
  now: Clock;
  state: RuntimeState;
  events: EventBus;
  /** How clients authenticate, shared with the token endpoint (PAR, RFC 9126 §2.1, authenticates the same way). */
  clientAuth: ClientAuthDeps;
  /** Revoked access tokens (a reused code revokes what it issued). */
  revocations: RevocationStore;
  /** Cookies get `Secure` (and the `__Host-` prefix) when the issuer is https. */
  secureCookies: boolean;
  /** Which upstream hosts and addresses Connections may reach (`--allow-issuer-hosts`); default https only. */
  addressPolicy?: AddressPolicy;
  /** Failed sign-ins allowed per person and per source address; default `DEFAULT_SIGN_IN_LIMITS` (throttle.ts). */
  signInLimits?: SignInLimits;
  /** Sign-ins pending per source address and pushed requests per client; default `DEFAULT_PENDING_LIMITS`. */
  pendingLimits?: PendingLimits;
  /** Wrong device codes allowed per browser and per address; default `DEFAULT_USER_CODE_LIMITS`. */
  userCodeLimits?: UserCodeLimits;
}
