/**
 * The statements of the PostgreSQL backend (postgres-state.ts), one per operation. Every one that reads or
 * writes records goes through the primary key or an index of schema.ts; none scans the table
 * (test/state/postgres-plans.test.ts checks the plans with EXPLAIN on a table of 50,000 rows).
 */
import { RECORDS_TABLE as T } from './schema.ts';

export interface RecordRow {
  owner: string | null;
  /** The JSON text as stored. */
  value: string;
  version: number;
  /** bigint arrives as text. */
  expires_at: string;
}

const RECORD = 'owner, value::text as value, version, expires_at';
const UNEXPIRED = 'expires_at > $3';

export const SQL = {
  /** $1 kind, $2 digest, $3 owner, $4 value, $5 expires, $6 now, $7 ownerLimit: see schema.ts. */
  insert: 'select latchkey_state_insert($1, $2, $3, $4::json, $5, $6, $7) as result',
  /**
   * The inserts without an owner limit of one batch (insert-batch.ts), as one plain statement (no plpgsql
   * call): the rows come as arrays; those it created or whose expired record it replaced come back, an
   * unexpired record makes its row do nothing. $1 kinds, $2 digests, $3 owners, $4 values, $5 expiries, $6 now.
   */
  insertBatch: `insert into ${T} as r (kind, key_digest, owner, value, version, expires_at)
    select t.kind, t.key_digest, t.owner, t.value, 1, t.expires_at
      from unnest($1::text[], $2::bytea[], $3::text[], $4::json[], $5::bigint[])
        as t(kind, key_digest, owner, value, expires_at)
    on conflict (kind, key_digest) do update
      set owner = excluded.owner, value = excluded.value, version = 1, expires_at = excluded.expires_at
      where r.expires_at <= $6
    returning r.kind, r.key_digest`,
  /**
   * The reads of one batch (get-batch.ts): the unexpired records of the keys given as arrays, each with its key.
   * $1 kinds, $2 digests, $3 now (the batch's earliest clock).
   */
  getBatch: `select r.kind, r.key_digest, r.owner, r.value::text as value, r.version, r.expires_at
    from unnest($1::text[], $2::bytea[]) as k(kind, key_digest)
      join ${T} r on r.kind = k.kind and r.key_digest = k.key_digest
    where r.expires_at > $3`,
  /** A concurrent consumer waits on the row lock, then finds the row gone: one of them gets it. */
  consume: `delete from ${T} where kind = $1 and key_digest = $2 and ${UNEXPIRED} returning ${RECORD}`,
  /** A concurrent swap waits on the row lock, then re-checks `version` on the new row and matches nothing. */
  compareAndSwap: `update ${T} set owner = $4, value = $5::json, expires_at = $6, version = version + 1
    where kind = $1 and key_digest = $2 and version = $3 and expires_at > $7 returning version`,
  /**
   * The rotations of one batch (rotate-batch.ts): for each row, compareAndSwap, and the successor inserted from
   * its result in the same statement: no swap, no insert. A row the update does not touch (absent, expired,
   * changed meanwhile, or a second rotation of the same key in the batch) gives no `ord`. The insert takes fresh
   * keys only, so a row with a successor's key, expired or not, fails the whole statement (a unique violation)
   * and nothing is written. Arrays: $1 kinds, $2 digests, $3 expected versions, $4 owners, $5 values,
   * $6 expiries, $7 clocks, $8 successor kinds, $9 successor digests, $10 successor owners, $11 successor values,
   * $12 successor expiries.
   */
  rotateBatch: `with input as (
      select * from unnest($1::text[], $2::bytea[], $3::integer[], $4::text[], $5::json[], $6::bigint[],
                           $7::bigint[], $8::text[], $9::bytea[], $10::text[], $11::json[], $12::bigint[])
        with ordinality as t(kind, key_digest, expected, owner, value, expires_at, now_ms,
                             s_kind, s_digest, s_owner, s_value, s_expires_at, ord)
    ), swapped as (
      update ${T} r set owner = i.owner, value = i.value, expires_at = i.expires_at, version = r.version + 1
        from input i
        where r.kind = i.kind and r.key_digest = i.key_digest and r.version = i.expected
          and r.expires_at > i.now_ms
        returning i.ord, r.version
    ), created as (
      insert into ${T} (kind, key_digest, owner, value, version, expires_at)
        select i.s_kind, i.s_digest, i.s_owner, i.s_value, 1, i.s_expires_at
          from swapped s join input i on i.ord = s.ord
    )
    select ord, version from swapped`,
  listByOwner: `select ${RECORD} from ${T} where kind = $1 and owner = $2 and ${UNEXPIRED}
    order by expires_at limit $4`,
  countByOwner: `select count(*)::int as n from ${T} where kind = $1 and owner = $2 and ${UNEXPIRED}`,
  deleteByOwner: `delete from ${T} where kind = $1 and owner = $2`,
  /**
   * The oldest expired rows through the expiry index, at most $2, skipping rows another replica's cleaner (or a
   * writer) holds, so cleaners never wait on each other and each batch holds its row locks briefly. The rows
   * are deleted by their ctid (a TID scan; a join on the key would let the planner hash-join a full scan), which
   * the row locks keep stable; the delete re-checks expiry anyway.
   */
  deleteExpired: `with deleted as (
      delete from ${T} where ctid = any(array(
        select ctid from ${T} where expires_at <= $1 order by expires_at limit $2 for update skip locked
      )) and expires_at <= $1
      returning kind
    )
    select kind, count(*)::int as n from deleted group by kind`,
  estimatedTotal: `select reltuples::bigint::int as total from pg_class where oid = '${T}'::regclass`,
  exactCounts: `select kind, count(*)::int as n from ${T} group by kind`,
  estimatedCounts: `select s.kind, round(s.freq * c.reltuples)::int as n
    from pg_class c,
      lateral (select unnest(most_common_vals::text::text[]) as kind, unnest(most_common_freqs) as freq
               from pg_stats where schemaname = current_schema() and tablename = '${T}' and attname = 'kind') s
    where c.oid = '${T}'::regclass`,
  rawDump: `select kind, encode(key_digest, 'hex') as key_digest, owner, value::text as value, version, expires_at
    from ${T}`,
};
