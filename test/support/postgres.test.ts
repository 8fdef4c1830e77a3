import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { startPostgres } from './postgres.ts';

async function selectOne(url: string): Promise<unknown> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.query('select 1 as one')).rows[0];
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe('startPostgres', () => {
  it('starts a real PostgreSQL on 127.0.0.1 that answers select 1, survives a restart and stops', async () => {
    const server = await startPostgres();
    try {
      expect(new URL(server.url).hostname).toBe('127.0.0.1');
      expect(await selectOne(server.url)).toEqual({ one: 1 });
      expect(await selectOne(await server.createDatabase())).toEqual({ one: 1 });
      await server.stopServer();
      await expect(selectOne(server.url)).rejects.toThrow();
      await server.startServer();
      expect(await selectOne(server.url)).toEqual({ one: 1 });
    } finally {
      await server.stop();
    }
    await expect(selectOne(server.url)).rejects.toThrow();
  });

  it('refuses a wrong password: the URL carries the real one', async () => {
    const server = await startPostgres();
    try {
      const wrong = new URL(server.url);
      wrong.password = 'wrong';
      await expect(selectOne(wrong.href)).rejects.toThrow(/password authentication failed/);
    } finally {
      await server.stop();
    }
  });

  it('explains how to provide the binaries when LATCHKEY_POSTGRES_BIN lacks them', async () => {
    const saved = process.env.LATCHKEY_POSTGRES_BIN;
    process.env.LATCHKEY_POSTGRES_BIN = '/nonexistent-latchkey-bin';
    try {
      await expect(startPostgres()).rejects.toThrow(
        /LATCHKEY_POSTGRES_BIN=\/nonexistent-latchkey-bin has no executable initdb/,
      );
    } finally {
      if (saved === undefined) delete process.env.LATCHKEY_POSTGRES_BIN;
      else process.env.LATCHKEY_POSTGRES_BIN = saved;
    }
    expect(existsSync('/nonexistent-latchkey-bin')).toBe(false);
  });
});
