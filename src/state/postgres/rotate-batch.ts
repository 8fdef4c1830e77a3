/**
 * Rotations (RuntimeState.rotate) of one turn of the event loop go to PostgreSQL as one statement, like reads
 * (get-batch.ts) and inserts (insert-batch.ts): each is still its own swap-and-insert, decided per row, but they
 * share a round trip, a socket write and a commit. Every person's refresh ends with one, and every code
 * exchange that starts a refresh-token family.
 *
 * - Two rotations of one key in a batch (two tabs refreshing at once): the update touches the row once, with
 *   one of them, and only that one gets a version; the other reads the token again, as after losing a race
 *   between replicas (src/server/grants/refresh-token.ts).
 * - A successor key that is taken fails the statement, so every rotation of that batch rejects and nothing is
 *   written (the contract of RuntimeState.rotate; with 256-bit random keys it means the randomness is broken).
 *
 * The decisions are the pure functions below; the queue is the shared TurnBatch (../turn-batch.ts).
 */
import type { RecordKind } from '../runtime-state.ts';
import { TurnBatch } from '../turn-batch.ts';

export const MAX_ROTATE_BATCH = 100;

/** One rotation: the swap of `digest` at `expectedVersion`, and the successor it creates. */
export interface BatchedRotate {
  kind: RecordKind;
  digest: Buffer;
  expectedVersion: number;
  owner: string | null;
  /** JSON text. */
  value: string;
  expiresAtMs: number;
  nowMs: number;
  successor: { kind: RecordKind; digest: Buffer; owner: string | null; value: string; expiresAtMs: number };
}

/** unnest's arrays, one element per rotation, in order (the statement numbers them from 1). */
export interface RotateBatchRows {
  kinds: string[];
  digests: Buffer[];
  expected: number[];
  owners: (string | null)[];
  values: string[];
  expires: number[];
  nows: number[];
  successorKinds: string[];
  successorDigests: Buffer[];
  successorOwners: (string | null)[];
  successorValues: string[];
  successorExpires: number[];
}

/** The statement's parameters for `entries`, in SQL.rotateBatch's order. */
export function rotateBatchRows(entries: readonly BatchedRotate[]): RotateBatchRows {
  return {
    kinds: entries.map((e) => e.kind),
    digests: entries.map((e) => e.digest),
    expected: entries.map((e) => e.expectedVersion),
    owners: entries.map((e) => e.owner),
    values: entries.map((e) => e.value),
    expires: entries.map((e) => e.expiresAtMs),
    nows: entries.map((e) => e.nowMs),
    successorKinds: entries.map((e) => e.successor.kind),
    successorDigests: entries.map((e) => e.successor.digest),
    successorOwners: entries.map((e) => e.successor.owner),
    successorValues: entries.map((e) => e.successor.value),
    successorExpires: entries.map((e) => e.successor.expiresAtMs),
  };
}

/**
 * What each rotation gets from the rows the statement swapped (`ord`, 1-based position in the batch, and the
 * new version): its new version, or undefined when its swap did not happen.
 */
export function rotateBatchResults(
  count: number,
  swapped: readonly { ord: string | number; version: number }[],
): (number | undefined)[] {
  const versions = new Map(swapped.map((row) => [Number(row.ord), row.version]));
  return Array.from({ length: count }, (_, i) => versions.get(i + 1));
}

/** Sends one batch: resolves with the rows swapped. */
export type SendRotateBatch = (
  rows: RotateBatchRows,
) => Promise<readonly { ord: string | number; version: number }[]>;

/** Rotations of one turn, sent {@link MAX_ROTATE_BATCH} at a time as one statement each. */
export function rotateBatcher(send: SendRotateBatch): TurnBatch<BatchedRotate, number | undefined> {
  return new TurnBatch(
    async (entries) => rotateBatchResults(entries.length, await send(rotateBatchRows(entries))),
    MAX_ROTATE_BATCH,
  );
}
