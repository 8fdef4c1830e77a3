import { mkdtemp, rm } from 'node:fs/promises';
import { connect as connectTcp, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as connectTls } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { EventBus } from '../../src/events.ts';
import type { HttpLimits } from '../../src/server/http-limits.ts';
import { startServers, type RunningServers } from '../../src/server/start.ts';
import { createCa, issueLeaf, SecretMount, type TestCa } from '../server/tls-certs.ts';
import { FixedSource } from './world.ts';
import { NOW_MS, testKeys, world } from './harness.ts';

/**
 * Small limits so every test waits a fraction of a second for the server to act. Each test waits for the
 * socket to close (never a fixed sleep), so a slow machine only makes the test slower, never wrong.
 */
const LIMITS: HttpLimits = {
  headersTimeoutMs: 300,
  requestTimeoutMs: 600,
  idleTimeoutMs: 2_000,
  keepAliveTimeoutMs: 300,
  maxConnections: 3,
};

// Without the limits a test would wait forever: fail it well before the suite's two minutes.
vi.setConfig({ testTimeout: 15_000 });

let servers: RunningServers;
const open: Socket[] = [];
const timers: NodeJS.Timeout[] = [];

beforeAll(async () => {
  servers = await startServers({
    source: new FixedSource(world(await testKeys())),
    port: 0,
    opsPort: 0,
    now: () => NOW_MS,
    events: new EventBus(),
    ready: () => true,
    httpLimits: LIMITS,
  });
});
afterAll(() => servers?.close());
afterEach(() => {
  for (const t of timers.splice(0)) clearInterval(t);
  for (const s of open.splice(0)) s.destroy();
});

interface Conversation {
  socket: Socket;
  /** Everything the server sent. */
  received: () => string;
  /** Resolves with what the server sent once it closed the connection. */
  closed: Promise<string>;
}

function talk(socket: Socket): Conversation {
  open.push(socket);
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (text += chunk));
  socket.on('error', () => undefined);
  const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(text)));
  return { socket, received: () => text, closed };
}

async function dial(port: number): Promise<Conversation> {
  const socket = connectTcp({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return talk(socket);
}

/** Writes `text` one character at a time, one every `everyMs`, until the socket closes. */
function trickle(c: Conversation, text: string, everyMs = 50): void {
  let i = 0;
  const t = setInterval(() => {
    if (i >= text.length || c.socket.destroyed || !c.socket.writable) return;
    c.socket.write(text[i++] ?? '');
  }, everyMs);
  timers.push(t);
}

const TOKEN_HEAD = 'POST /token HTTP/1.1\r\nHost: latchkey\r\n';
const FORM_HEAD = `${TOKEN_HEAD}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 200\r\n\r\n`;
const timedOut = (text: string) => expect(text).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);

/** A request that completes, so the next one rides the same keep-alive connection. */
const DISCOVERY = 'GET /.well-known/oauth-authorization-server HTTP/1.1\r\nHost: latchkey\r\n\r\n';
// A status line follows the previous body directly, not always at the start of a line.
const responses = (text: string) => text.match(/HTTP\/1\.1 \d{3}/g) ?? [];

async function untilResponses(c: Conversation, n: number): Promise<void> {
  while (responses(c.received()).length < n) {
    await new Promise((resolve) => c.socket.once('data', resolve));
  }
}

describe('the token listener', () => {
  it('answers 408 and closes when the headers arrive a byte at a time', async () => {
    const c = await dial(servers.port);
    trickle(c, `${TOKEN_HEAD}X-Slow: ${'a'.repeat(10_000)}\r\n\r\n`);
    timedOut(await c.closed);
  });

  it('closes a connection that never sends a byte', async () => {
    const c = await dial(servers.port);
    // Node answers 408 only once something arrived; silence from the start is closed without an answer.
    expect(await c.closed).toMatch(/^$|^HTTP\/1\.1 408 /);
  });

  it('answers 408 and closes when the body arrives a byte at a time', async () => {
    const c = await dial(servers.port);
    c.socket.write(FORM_HEAD);
    trickle(c, 'grant_type=client_credentials&'.repeat(10));
    timedOut(await c.closed);
  });

  it('answers 408 and closes when part of the body is sent and then nothing', async () => {
    const c = await dial(servers.port);
    c.socket.write(`${FORM_HEAD}grant_type=client_`);
    timedOut(await c.closed);
  });

  it('closes an idle keep-alive connection after the keep-alive timeout', async () => {
    const c = await dial(servers.port);
    c.socket.write(DISCOVERY);
    await untilResponses(c, 1);
    expect(responses(await c.closed)).toEqual(['HTTP/1.1 200']);
  });

  it('drops connections beyond maxConnections, and takes new ones once some close', async () => {
    const held = await Promise.all([dial(servers.port), dial(servers.port), dial(servers.port)]);
    // Each held connection is known to be accepted once it has an answer.
    for (const c of held) {
      c.socket.write(DISCOVERY);
      await untilResponses(c, 1);
    }
    const refused = await dial(servers.port);
    expect(await refused.closed).toBe('');
    for (const c of held) c.socket.destroy();
    await Promise.all(held.map((c) => c.closed));
    // The server learns of the closes asynchronously: a new connection is taken once it has.
    let answered = '';
    while (!answered.startsWith('HTTP/1.1 200')) {
      const next = await dial(servers.port);
      next.socket.write(DISCOVERY.replace('HTTP/1.1', 'HTTP/1.0'));
      answered = await next.closed;
    }
  });
});

describe('the ops listener', () => {
  it('answers 408 and closes when the headers arrive a byte at a time', async () => {
    const c = await dial(servers.opsPort);
    trickle(c, `GET /metrics HTTP/1.1\r\nHost: ops\r\nX-Slow: ${'a'.repeat(10_000)}\r\n\r\n`);
    expect(await c.closed).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes an idle keep-alive connection after the keep-alive timeout', async () => {
    const c = await dial(servers.opsPort);
    c.socket.write('GET /healthz HTTP/1.1\r\nHost: ops\r\n\r\n');
    await untilResponses(c, 1);
    expect(responses(await c.closed)).toEqual(['HTTP/1.1 200']);
  });
});

describe('the TLS token listener', () => {
  let dir: string;
  let ca: TestCa;
  let tlsServers: RunningServers;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'latchkey-slow-tls-'));
    ca = await createCa(join(dir, 'ca'));
    const leaf = await issueLeaf(ca, { serial: 0x2001, days: 1 });
    const mount = new SecretMount(join(dir, 'mount'));
    await mount.write({ 'tls.crt': leaf.cert, 'tls.key': leaf.key });
    tlsServers = await startServers({
      source: new FixedSource(world(await testKeys())),
      port: 0,
      opsPort: 0,
      now: () => NOW_MS,
      events: new EventBus(),
      ready: () => true,
      tls: { certFile: mount.certFile, keyFile: mount.keyFile, pollIntervalMs: 3_600_000 },
      httpLimits: LIMITS,
    });
  });
  afterAll(async () => {
    await tlsServers?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function dialTls(): Promise<Conversation> {
    const socket = connectTls({
      port: tlsServers.port,
      host: '127.0.0.1',
      ca: ca.cert,
      servername: 'localhost',
    });
    await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    return talk(socket);
  }

  it('answers 408 and closes when the headers arrive a byte at a time', async () => {
    const c = await dialTls();
    trickle(c, `${TOKEN_HEAD}X-Slow: ${'a'.repeat(10_000)}\r\n\r\n`);
    timedOut(await c.closed);
  });

  it('answers 408 and closes when part of the body is sent and then nothing', async () => {
    const c = await dialTls();
    c.socket.write(`${FORM_HEAD}grant_type=client_`);
    timedOut(await c.closed);
  });

  it('closes an idle keep-alive connection after the keep-alive timeout', async () => {
    const c = await dialTls();
    c.socket.write(DISCOVERY);
    await untilResponses(c, 1);
    expect(responses(await c.closed)).toEqual(['HTTP/1.1 200']);
  });

  it('closes a TLS connection whose handshake never starts', async () => {
    const c = await dial(tlsServers.port);
    expect(await c.closed).toBe('');
  });
});
