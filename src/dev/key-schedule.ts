import type { Clock } from '../clock.ts';
import type { EventBus } from '../events.ts';
import {
  keySetAt,
  longestTokenLifetime,
  nextKeyChange,
  sameKeySet,
  tokenIssuingApis,
  type KeyRing,
} from '../keys/lifecycle.ts';
import { DEFAULT_ROTATION } from '../keys/signing-key-rotation.ts';
import type { SigningKeys } from '../keys/signing-keys.ts';
import type { Store } from '../store/store.ts';
import type { DevState } from './state.ts';

/** Look at the keys at least daily, and stay far below setTimeout's limit of 24.8 days. */
const KEY_CHECK_MAX_MS = 86_400_000;

/** What dev mode's key schedule reads and updates: the state folder's ring and the keys in force. */
export interface DevKeys {
  state: DevState;
  events: EventBus;
  now: Clock;
  store: Store;
  keyRing: KeyRing;
  keysInForce: SigningKeys;
}

/** The pending wake-up of the schedule, cleared when dev mode stops. */
export interface KeyRotation {
  timer: NodeJS.Timeout | undefined;
}

/**
 * The operator's default rotation schedule, applied to the state folder's keys and switched at each key's
 * time; `keysChanged` compiles again with the new keys in force.
 */
export async function rotateKeys(
  dev: DevKeys,
  keysChanged: () => Promise<unknown>,
  rotation: KeyRotation,
): Promise<void> {
  const { state, events } = dev;
  const t = dev.now();
  const rotated = await state.rotateKeys(
    dev.keyRing,
    t,
    DEFAULT_ROTATION,
    longestTokenLifetime(tokenIssuingApis(dev.store.current())),
  );
  dev.keyRing = rotated.ring;
  const inForce = keySetAt(dev.keyRing.keys, t, DEFAULT_ROTATION);
  if (!sameKeySet(dev.keysInForce, inForce)) {
    dev.keysInForce = inForce;
    await keysChanged();
  }
  const due = [nextKeyChange(dev.keyRing.keys, t, DEFAULT_ROTATION.clockSkewMs), rotated.wakeAt].filter(
    (at): at is number => at !== undefined,
  );
  if (due.length > 0) {
    rotation.timer = setTimeout(
      () =>
        void rotateKeys(dev, keysChanged, rotation).catch((err: unknown) =>
          events.emit('reconcile.failed', {
            controller: 'signing-keys',
            key: state.keysPath,
            message: (err as Error).message,
          }),
        ),
      Math.min(Math.min(...due) - t, KEY_CHECK_MAX_MS),
    );
    rotation.timer.unref();
  }
}
