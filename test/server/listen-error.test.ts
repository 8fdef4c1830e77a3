import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config-error.ts';
import { EventBus } from '../../src/events.ts';
import { listenError, type Listener } from '../../src/server/listen-error.ts';
import { startServers, type StartOptions } from '../../src/server/start.ts';
import { FixedSource } from '../http/world.ts';
import { NOW_MS, testKeys, world } from '../http/harness.ts';

/** An error as `listen` rejects with it. */
function listenFailure(code: string, address: string, port: number): Error {
  return Object.assign(new Error(`listen ${code}: something ${address}:${port}`), {
    code,
    syscall: 'listen',
    address,
    port,
  });
}

const TOKEN: Listener = { flag: '--port', what: 'the token port', host: '127.0.0.1', port: 8080 };
const OPS: Listener = {
  flag: '--ops-port',
  what: 'the health and metrics port',
  host: '127.0.0.1',
  port: 8081,
};
const TLS: Listener = { ...TOKEN, what: 'the token port (HTTPS)', port: 8443 };

describe('listenError', () => {
  it.each<[string, Error, Listener, string]>([
    [
      'names --ops-port when the health and metrics port is taken',
      listenFailure('EADDRINUSE', '127.0.0.1', 8081),
      OPS,
      '--ops-port: 127.0.0.1:8081 (the health and metrics port) is already in use: stop what listens there, or choose another port with --ops-port',
    ],
    [
      'names --port for the token port',
      listenFailure('EADDRINUSE', '127.0.0.1', 8080),
      TOKEN,
      '--port: 127.0.0.1:8080 (the token port) is already in use: stop what listens there, or choose another port with --port',
    ],
    [
      'and for the token port serving HTTPS',
      listenFailure('EADDRINUSE', '127.0.0.1', 8443),
      TLS,
      '--port: 127.0.0.1:8443 (the token port (HTTPS)) is already in use: stop what listens there, or choose another port with --port',
    ],
    [
      'says a port below 1024 needs privileges',
      listenFailure('EACCES', '0.0.0.0', 80),
      { ...TOKEN, host: '0.0.0.0', port: 80 },
      '--port: not allowed to listen on 0.0.0.0:80 (the token port): ports below 1024 need privileges; choose a higher one with --port',
    ],
    [
      'names --host for an address this machine does not have',
      listenFailure('EADDRNOTAVAIL', '10.9.9.9', 8080),
      { ...TOKEN, host: '10.9.9.9' },
      '--host: 10.9.9.9 is not an address of this machine, so the token port cannot listen on it',
    ],
  ])('%s', (_, err, listener, message) => {
    const error = listenError(err, listener);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(message);
  });

  it('leaves any other error as it is', () => {
    const other = listenFailure('EMFILE', '127.0.0.1', 8080);
    expect(listenError(other, TOKEN)).toBe(other);
  });
});

describe('startServers on a port that is taken', () => {
  let taken: Server;
  let port: number;

  beforeAll(async () => {
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    port = (taken.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => taken.close(() => resolve())));

  const options = async (ports: Pick<StartOptions, 'port' | 'opsPort'>): Promise<StartOptions> => ({
    source: new FixedSource(world(await testKeys())),
    now: () => NOW_MS,
    events: new EventBus(),
    ready: () => true,
    ...ports,
  });

  it('fails naming --ops-port when the ops port is taken', async () => {
    await expect(startServers(await options({ port: 0, opsPort: port }))).rejects.toThrow(
      `--ops-port: 127.0.0.1:${port} (the health and metrics port) is already in use`,
    );
  });

  it('fails naming --port when the token port is taken', async () => {
    await expect(startServers(await options({ port, opsPort: 0 }))).rejects.toThrow(
      `--port: 127.0.0.1:${port} (the token port) is already in use`,
    );
  });
});
