import type { DeviceAuthorizationRecord } from '../records.ts';

/** A device authorization as this replica last wrote it: the value and the version that write gave it. */
export interface RememberedAuthorization {
  value: DeviceAuthorizationRecord;
  owner: string | undefined;
  expiresAtMs: number;
  version: number;
}

/** Devices remembered at most: 1,000 devices polling at once use a tenth, a few hundred bytes each. */
export const DEVICE_POLL_MEMORY_CAPACITY = 10_000;

/**
 * What one replica remembers of the device authorizations it answered polls for, keyed by user code, so the
 * next poll of the same device swaps the record against the remembered version without reading it first: one
 * operation on the store per poll. The swap succeeding proves the memory was current (nobody wrote the record
 * since); when it fails (the person answered, or a poll went to another replica), the poll reads the record as
 * it would have without a memory. Least recently used entries go first past {@link DEVICE_POLL_MEMORY_CAPACITY}.
 */
export class DevicePollMemory {
  readonly #entries = new Map<string, RememberedAuthorization>();
  readonly #capacity: number;

  constructor(capacity = DEVICE_POLL_MEMORY_CAPACITY) {
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(userCode: string): RememberedAuthorization | undefined {
    return this.#entries.get(userCode);
  }

  remember(userCode: string, entry: RememberedAuthorization): void {
    this.#entries.delete(userCode);
    this.#entries.set(userCode, entry);
    if (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
  }

  forget(userCode: string): void {
    this.#entries.delete(userCode);
  }
}
