/**
 * Inserts without an owner limit (the replay check's `jti` of every private_key_jwt request) are sent to
 * PostgreSQL together: those that arrive in one turn of the event loop share one statement, and so one
 * round trip, one socket write and one parse of the reply, at most {@link MAX_INSERT_BATCH} at a time. Under
 * load that is most of what the shared replay check costs the token server (bench/state).
 *
 * The decisions are the pure functions below; the queue is the shared TurnBatch (../turn-batch.ts).
 */
import type { InsertResult, RecordKind } from '../runtime-state.ts';
import { TurnBatch } from '../turn-batch.ts';

export const MAX_INSERT_BATCH = 100;

export interface BatchedInsert {
  kind: RecordKind;
  digest: Buffer;
  owner: string | null;
  /** JSON text. */
  value: string;
  expiresAtMs: number;
  nowMs: number;
}

/** The rows one statement sends: unnest's arrays, and the clock it compares expiry with. */
export interface InsertBatchRows {
  kinds: string[];
  digests: Buffer[];
  owners: (string | null)[];
  values: string[];
  expires: number[];
  nowMs: number;
}

/** Where a record of `kind` with `digest` is, as one string. */
export function batchKey(kind: string, digest: Buffer): string {
  return `${kind}\0${digest.toString('hex')}`;
}

/**
 * The rows to send for `entries`: the first insert of each key only, since one statement cannot create and
 * then find the same row (PostgreSQL refuses to touch a row twice in one `ON CONFLICT DO UPDATE`). Expired
 * records are replaced when expired at the earliest clock of the batch: a record that expired between two
 * inserts of one turn is taken as still there, which refuses rather than accepts.
 */
export function insertBatchRows(entries: readonly BatchedInsert[]): InsertBatchRows {
  const { unique, nowMs } = firstOfEachKey(entries);
  return {
    kinds: unique.map((e) => e.kind),
    digests: unique.map((e) => e.digest),
    owners: unique.map((e) => e.owner),
    values: unique.map((e) => e.value),
    expires: unique.map((e) => e.expiresAtMs),
    nowMs,
  };
}

/** The first entry of each key (kind and digest), in order, and the earliest clock of all the entries. */
export function firstOfEachKey<E extends { kind: string; digest: Buffer; nowMs: number }>(
  entries: readonly E[],
): { unique: E[]; nowMs: number } {
  const seen = new Set<string>();
  const unique: E[] = [];
  let nowMs = Infinity;
  for (const entry of entries) {
    nowMs = Math.min(nowMs, entry.nowMs);
    const key = batchKey(entry.kind, entry.digest);
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(entry);
  }
  return { unique, nowMs };
}

/**
 * What each insert of the batch gets, given the keys the statement created: `created` for the first insert
 * of a created key, `exists` for everything else (an unexpired record was there, or an earlier insert of the
 * same batch created it).
 */
export function insertBatchResults(
  entries: readonly BatchedInsert[],
  created: ReadonlySet<string>,
): InsertResult[] {
  const claimed = new Set<string>();
  return entries.map((entry) => {
    const key = batchKey(entry.kind, entry.digest);
    if (!created.has(key) || claimed.has(key)) return 'exists';
    claimed.add(key);
    return 'created';
  });
}

/** Sends one batch: resolves with the keys ({@link batchKey}) it created. */
export type SendInsertBatch = (rows: InsertBatchRows) => Promise<ReadonlySet<string>>;

/** Inserts of one turn, sent {@link MAX_INSERT_BATCH} at a time as one statement each. */
export function insertBatcher(send: SendInsertBatch): TurnBatch<BatchedInsert, InsertResult> {
  return new TurnBatch(
    async (entries) => insertBatchResults(entries, await send(insertBatchRows(entries))),
    MAX_INSERT_BATCH,
  );
}
