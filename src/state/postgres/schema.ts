/**
 * The PostgreSQL schema: this backend's SQL for each step of the shared, backend-neutral
 * `STATE_MIGRATIONS` (src/state/migrations.ts decides what runs; migrate.ts runs it). A step's SQL is never
 * edited once released: a change is a new step there and its SQL here.
 *
 * One table holds every kind (runtime-state.ts: adding a kind adds nothing here):
 * - `key_digest` is `sha256(kind NUL key)` (src/state/key-digest.ts); the key itself never leaves the process.
 * - `value` is `json`, not `jsonb`: json keeps the caller's text exactly (key order, `\u0000` escapes, which
 *   jsonb rejects), and nothing queries inside values.
 * - `expires_at` is milliseconds since the epoch as `bigint`, compared with the caller's clock (`nowMs`), never
 *   the database's `now()`: one clock decides expiry, and tests can freeze it.
 * - The expiry index serves deleteExpired (oldest first, bounded); the owner index serves ownerLimit, listing,
 *   counting and deleting by owner.
 * - Autovacuum runs after 2 % of the rows changed (default 20 %): rows are short-lived, so dead tuples from
 *   consume and cleaning are the table's normal state.
 */
export const RECORDS_TABLE = 'latchkey_state_records';
export const MIGRATIONS_TABLE = 'latchkey_schema_migrations';

/**
 * insert in one round trip and one transaction: with an owner limit, a per-(kind, owner) advisory lock held
 * until commit serialises the count-then-insert of every replica for that owner (each statement in a volatile
 * plpgsql function sees what the lock's previous holder committed); the key's own uniqueness is the primary
 * key's, so a concurrent insert without a limit still creates at most once. An expired record with the same
 * key is replaced in place.
 */
const INSERT_FUNCTION = `
create function latchkey_state_insert(
  p_kind text, p_key bytea, p_owner text, p_value json, p_expires_at bigint, p_now bigint, p_owner_limit integer
) returns text language plpgsql volatile as $fn$
begin
  if p_owner_limit is not null and p_owner is not null then
    perform pg_advisory_xact_lock(hashtextextended(p_kind || '/' || p_owner, 1143));
    if exists (select 1 from ${RECORDS_TABLE}
               where kind = p_kind and key_digest = p_key and expires_at > p_now) then
      return 'exists';
    end if;
    if (select count(*) from (select 1 from ${RECORDS_TABLE}
                              where kind = p_kind and owner = p_owner and expires_at > p_now
                              limit p_owner_limit) held) >= p_owner_limit then
      return 'full';
    end if;
  end if;
  insert into ${RECORDS_TABLE} as r (kind, key_digest, owner, value, version, expires_at)
  values (p_kind, p_key, p_owner, p_value, 1, p_expires_at)
  on conflict (kind, key_digest) do update
    set owner = excluded.owner, value = excluded.value, version = 1, expires_at = excluded.expires_at
    where r.expires_at <= p_now;
  if found then
    return 'created';
  end if;
  return 'exists';
end
$fn$`;

/** The SQL of each step of `STATE_MIGRATIONS`, by version; each runs in the migration transaction. */
export const POSTGRES_MIGRATIONS: Readonly<Record<number, string>> = {
  1: `
create table ${RECORDS_TABLE} (
  kind text not null,
  key_digest bytea not null,
  owner text,
  value json not null,
  version integer not null default 1,
  expires_at bigint not null,
  primary key (kind, key_digest)
) with (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);
create index ${RECORDS_TABLE}_expiry on ${RECORDS_TABLE} (expires_at);
create index ${RECORDS_TABLE}_owner on ${RECORDS_TABLE} (kind, owner, expires_at);
${INSERT_FUNCTION};
`,
};
