import { ConfigError } from '../config-error.ts';

/** A port Latchkey listens on, and the command-line option that sets it (the same for dev and operator). */
export interface Listener {
  flag: '--port' | '--ops-port';
  /** What listens there, e.g. `the health and metrics port`. */
  what: string;
  host: string;
  port: number;
}

/**
 * What to say when `listen` fails: for a port already in use, one a user may not bind, or an address this
 * machine lacks, a {@link ConfigError} naming the option to change (issue 16: `EADDRINUSE` on 8081 did not
 * name `--ops-port`); any other error as it is.
 */
export function listenError(err: unknown, listener: Listener): unknown {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const { flag, what, host, port } = listener;
  const address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  switch (code) {
    case 'EADDRINUSE':
      return new ConfigError(
        flag,
        `${address} (${what}) is already in use: stop what listens there, or choose another port with ${flag}`,
      );
    case 'EACCES':
      return new ConfigError(
        flag,
        `not allowed to listen on ${address} (${what}): ports below 1024 need privileges; choose a higher one with ${flag}`,
      );
    case 'EADDRNOTAVAIL':
      return new ConfigError(
        '--host',
        `${host} is not an address of this machine, so ${what} cannot listen on it`,
      );
    default:
      return err;
  }
}
