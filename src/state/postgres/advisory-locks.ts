/**
 * The session and transaction advisory-lock keys of the PostgreSQL backend, in one place so two uses never share
 * one. Advisory locks are per database, so every replica on the database contends for the same key. The
 * owner-limit lock of insert (schema.ts) takes `hashtextextended(kind/owner, 1143)` keys instead: a 64-bit hash
 * meets one of these constants with negligible probability, and a meeting would only make two waits serial.
 */

/** Held for the migration transaction (`pg_advisory_xact_lock`), so replicas starting together migrate once. */
export const MIGRATION_LOCK = '7809644666444330361';

/** Held for a cleaning run (`pg_try_advisory_lock`, session-level): "lk-clean" in ASCII as a 64-bit integer. */
export const CLEANER_LOCK = '7812387883647852910';
