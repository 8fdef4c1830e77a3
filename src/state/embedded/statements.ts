/**
 * Every statement of the embedded backend, so the SQLite dialect sits in one place beside the schema
 * (./schema.ts). A record is absent from `expires_at` on: every read and write says `expires_at > now`.
 */
const COLUMNS = 'owner, value, version, expires_at';

export const SQL = {
  /** Creates the row, or replaces an expired one with the same key; `changes` is 0 when a live row exists. */
  upsert: `
    INSERT INTO records (kind, key_digest, owner, value, version, expires_at) VALUES (?1, ?2, ?3, ?4, 1, ?5)
    ON CONFLICT (kind, key_digest) DO UPDATE
      SET owner = excluded.owner, value = excluded.value, version = 1, expires_at = excluded.expires_at
      WHERE records.expires_at <= ?6`,
  get: `SELECT ${COLUMNS} FROM records WHERE kind = ? AND key_digest = ? AND expires_at > ?`,
  consume: `DELETE FROM records WHERE kind = ? AND key_digest = ? AND expires_at > ? RETURNING ${COLUMNS}`,
  compareAndSwap: `
    UPDATE records SET owner = ?, value = ?, expires_at = ?, version = version + 1
    WHERE kind = ? AND key_digest = ? AND version = ? AND expires_at > ?
    RETURNING version`,
  /** A fresh key only (rotate's successor): any row with the key, expired or not, is a constraint error. */
  insertNew: `
    INSERT INTO records (kind, key_digest, owner, value, version, expires_at) VALUES (?, ?, ?, ?, 1, ?)`,
  listByOwner: `
    SELECT ${COLUMNS} FROM records WHERE kind = ? AND owner = ? AND expires_at > ?
    ORDER BY expires_at LIMIT ?`,
  countByOwner: 'SELECT count(*) AS n FROM records WHERE kind = ? AND owner = ? AND expires_at > ?',
  deleteByOwner: 'DELETE FROM records WHERE kind = ? AND owner = ?',
  /** Oldest first through records_expires_at; the subquery bounds the work to `batch` rows. */
  deleteExpired: `
    DELETE FROM records WHERE rowid IN (
      SELECT rowid FROM records WHERE expires_at <= ? ORDER BY expires_at LIMIT ?
    ) RETURNING kind`,
  counts: 'SELECT kind, count(*) AS n FROM records GROUP BY kind',
} as const;
