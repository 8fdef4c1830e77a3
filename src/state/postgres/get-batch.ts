/**
 * Reads of one turn of the event loop go to PostgreSQL together, like the inserts (insert-batch.ts): one
 * statement, one round trip and one socket write for all of them, at most {@link MAX_GET_BATCH} at a time. A
 * person's refresh reads its token and then its user; under load the reads of the requests in flight share
 * statements. On this machine a socket write to a local server costs about as much CPU as a statement's
 * execution, so this is most of what reading costs the token server (bench/peers, people cases).
 *
 * A read is never reordered against a write its caller awaited: it is only sent later in the same turn. The
 * decisions are the pure functions below; the queue is the shared TurnBatch (../turn-batch.ts).
 */
import type { RecordKind } from '../runtime-state.ts';
import { TurnBatch } from '../turn-batch.ts';
import { batchKey, firstOfEachKey } from './insert-batch.ts';
import type { RecordRow } from './statements.ts';

export const MAX_GET_BATCH = 100;

export interface BatchedGet {
  kind: RecordKind;
  digest: Buffer;
  nowMs: number;
}

/** The keys one statement asks for (each once), and the clock it compares expiry with. */
export interface GetBatchKeys {
  kinds: string[];
  digests: Buffer[];
  nowMs: number;
}

/** A row the batch statement returns: the record and where it is. */
export interface KeyedRecordRow extends RecordRow {
  kind: string;
  key_digest: Buffer;
}

/**
 * The keys to send for `entries`, each once. The statement filters on the earliest clock of the batch, so it
 * returns every record any entry could see; {@link getBatchResults} applies each entry's own clock.
 */
export function getBatchKeys(entries: readonly BatchedGet[]): GetBatchKeys {
  const { unique, nowMs } = firstOfEachKey(entries);
  return { kinds: unique.map((e) => e.kind), digests: unique.map((e) => e.digest), nowMs };
}

/** What each read gets from the rows found: its record if the record is unexpired at the read's own clock. */
export function getBatchResults(
  entries: readonly BatchedGet[],
  rows: readonly KeyedRecordRow[],
): (RecordRow | undefined)[] {
  const found = new Map(rows.map((row) => [batchKey(row.kind, row.key_digest), row]));
  return entries.map((entry) => {
    const row = found.get(batchKey(entry.kind, entry.digest));
    return row !== undefined && Number(row.expires_at) > entry.nowMs ? row : undefined;
  });
}

/** Sends one batch: resolves with the rows found. */
export type SendGetBatch = (keys: GetBatchKeys) => Promise<readonly KeyedRecordRow[]>;

/** Reads of one turn, sent {@link MAX_GET_BATCH} at a time as one statement each. */
export function getBatcher(send: SendGetBatch): TurnBatch<BatchedGet, RecordRow | undefined> {
  return new TurnBatch(
    async (entries) => getBatchResults(entries, await send(getBatchKeys(entries))),
    MAX_GET_BATCH,
  );
}
