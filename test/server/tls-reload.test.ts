import { mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { EventBus, type LatchkeyEvents } from '../../src/events.ts';
import type { Timers } from '../../src/timers.ts';
import {
  loadTlsPair,
  startTlsReloader,
  type TlsOptions,
  type TlsPair,
  type TlsReloader,
} from '../../src/server/tls.ts';
import { createCa, issueLeaf, type Leaf, type TestCa } from './tls-certs.ts';

/** Timers that run only when the test advances time. */
class ManualTimers implements Timers {
  now = 0;
  readonly #pending = new Map<number, { at: number; callback: () => void }>();
  #nextId = 1;

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.#nextId++;
    this.#pending.set(id, { at: this.now + ms, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#pending.delete(handle as number);
  }

  /** When the armed timers are due, soonest first. */
  due(): number[] {
    return [...this.#pending.values()].map((t) => t.at).sort((a, b) => a - b);
  }

  advance(ms: number): void {
    this.now += ms;
    for (const [id, t] of [...this.#pending].sort((a, b) => a[1].at - b[1].at)) {
      if (t.at > this.now) continue;
      this.#pending.delete(id);
      t.callback();
    }
  }
}

const POLL_MS = 30_000;

let dir: string;
let ca: TestCa;
let a: Leaf;
let b: Leaf;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'latchkey-tls-reload-'));
  ca = await createCa(join(dir, 'ca'));
  a = await issueLeaf(ca, { serial: 0xa1, days: 30 });
  b = await issueLeaf(ca, { serial: 0xb1, days: 60 });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

interface Rig {
  files: TlsOptions;
  timers: ManualTimers;
  applied: TlsPair[];
  seen: { reloaded: LatchkeyEvents['tls.reloaded'][]; failed: LatchkeyEvents['tls.reloadFailed'][] };
  /** Calls the watch callback of the folder, as fs.watch would on a change. */
  touch(): void;
  stopped: string[];
  reloader: TlsReloader;
  write(cert: string, key: string): Promise<void>;
  /** Waits until a poll has run to its end (the next one is armed). */
  polled(): Promise<void>;
}

let rigs: Rig[] = [];
afterEach(async () => {
  for (const rig of rigs) await rig.reloader.close();
  rigs = [];
});

async function rig(name: string): Promise<Rig> {
  const folder = join(dir, name);
  await mkdir(folder);
  const certFile = join(folder, 'tls.crt');
  const keyFile = join(folder, 'tls.key');
  const write = async (cert: string, key: string) => {
    await writeFile(certFile, cert);
    await writeFile(keyFile, key);
  };
  await write(a.cert, a.key);
  const timers = new ManualTimers();
  const events = new EventBus();
  const seen: Rig['seen'] = { reloaded: [], failed: [] };
  events.on('tls.reloaded', (e) => seen.reloaded.push(e));
  events.on('tls.reloadFailed', (e) => seen.failed.push(e));
  const watchers: (() => void)[] = [];
  const stopped: string[] = [];
  const files: TlsOptions = {
    certFile,
    keyFile,
    pollIntervalMs: POLL_MS,
    timers,
    watchDirectory: (watched, onChange) => {
      watchers.push(onChange);
      return () => stopped.push(watched);
    },
  };
  const applied: TlsPair[] = [];
  const reloader = startTlsReloader({
    options: files,
    current: await loadTlsPair(files),
    apply: (pair) => applied.push(pair),
    events,
  });
  const r: Rig = {
    files,
    timers,
    applied,
    seen,
    stopped,
    reloader,
    write,
    touch: () => watchers.forEach((w) => w()),
    async polled() {
      const next = timers.now + POLL_MS;
      await vi.waitFor(() => expect(timers.due()).toEqual([next]));
    },
  };
  rigs.push(r);
  return r;
}

describe('following the certificate files', () => {
  it('watches the folder holding the files and polls every interval', async () => {
    const r = await rig('armed');
    expect(r.timers.due()).toEqual([POLL_MS]);
    await r.reloader.close();
    expect(r.stopped).toEqual([join(dir, 'armed')]);
    expect(r.timers.due()).toEqual([]);
  });

  it('picks up a renewed pair by polling alone when no watch event arrives', async () => {
    const r = await rig('poll');
    await r.write(b.cert, b.key);
    r.timers.advance(POLL_MS - 1);
    expect(r.applied).toEqual([]);
    r.timers.advance(1);
    await r.polled();
    expect(r.applied.map((p) => p.serialNumber)).toEqual([b.serialNumber]);
    expect(r.applied[0]?.cert.toString()).toBe(b.cert);
    expect(r.applied[0]?.key.toString()).toBe(b.key);
    expect(r.seen).toEqual({ reloaded: [{ notAfter: b.notAfter }], failed: [] });
  });

  it('does nothing while the files stay the same', async () => {
    const r = await rig('same');
    for (let i = 0; i < 3; i++) {
      r.timers.advance(POLL_MS);
      await r.polled();
    }
    // Rewritten with the same bytes: a new mtime, the same pair.
    await r.write(a.cert, a.key);
    r.timers.advance(POLL_MS);
    await r.polled();
    expect(r.applied).toEqual([]);
    expect(r.seen).toEqual({ reloaded: [], failed: [] });
  });

  it('checks once the files settle after watch events, not on each event', async () => {
    const r = await rig('watched');
    await r.write(b.cert, b.key);
    r.touch();
    r.timers.advance(60);
    r.touch();
    r.timers.advance(60);
    r.touch();
    expect(r.timers.due()).toEqual([220, POLL_MS]);
    r.timers.advance(100);
    await vi.waitFor(() => expect(r.applied.map((p) => p.serialNumber)).toEqual([b.serialNumber]));
    expect(r.seen.reloaded).toEqual([{ notAfter: b.notAfter }]);
  });

  it('reports a key that is not the certificate’s once, not on every poll, and takes the fixed pair', async () => {
    const r = await rig('mismatch');
    await r.write(b.cert, a.key);
    for (let i = 0; i < 3; i++) {
      r.timers.advance(POLL_MS);
      await r.polled();
    }
    expect(r.seen.failed).toEqual([
      {
        message: `${r.files.keyFile} is not the private key of the certificate in ${r.files.certFile} (serial B1)`,
      },
    ]);
    expect(r.applied).toEqual([]);

    await r.write(b.cert, b.key);
    r.timers.advance(POLL_MS);
    await r.polled();
    expect(r.applied.map((p) => p.serialNumber)).toEqual([b.serialNumber]);
    expect(r.seen.reloaded).toEqual([{ notAfter: b.notAfter }]);
  });

  it('reports files it cannot read or parse, and stays quiet when the served pair comes back', async () => {
    const r = await rig('broken');
    await unlink(r.files.keyFile);
    r.timers.advance(POLL_MS);
    await r.polled();
    await writeFile(r.files.keyFile, 'not a key');
    r.timers.advance(POLL_MS);
    await r.polled();
    await writeFile(r.files.certFile, b.cert.replace(/[A-Za-z0-9]{20}\n/, '!!!!!!!!!!!!!!!!!!!!\n'));
    await writeFile(r.files.keyFile, b.key);
    r.timers.advance(POLL_MS);
    await r.polled();
    await r.write(a.cert, a.key);
    r.timers.advance(POLL_MS);
    await r.polled();

    expect(r.seen.failed.map((f) => f.message.replace(/ \(.*\)$/, ' (…)'))).toEqual([
      `cannot read ${r.files.keyFile} (…)`,
      `${r.files.keyFile} does not hold an unencrypted PEM private key (…)`,
      `${r.files.certFile}: certificate 1 is not a valid X.509 certificate (…)`,
    ]);
    expect(r.seen.failed[0]?.message).toBe(
      `cannot read ${r.files.keyFile} (ENOENT: no such file or directory)`,
    );
    expect(r.applied).toEqual([]);
    expect(r.seen.reloaded).toEqual([]);
  });

  it('stops for good on close, even with a check due', async () => {
    const r = await rig('closed');
    await r.write(b.cert, b.key);
    r.touch();
    await r.reloader.close();
    expect(r.timers.due()).toEqual([]);
    r.touch();
    expect(r.timers.due()).toEqual([]);
    await r.reloader.check();
    expect(r.applied).toEqual([]);
    expect(r.seen).toEqual({ reloaded: [], failed: [] });
  });
});
