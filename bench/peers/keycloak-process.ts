/**
 * Runs `kc.sh start-dev` (embedded H2 database, HTTP on 127.0.0.1) for peers-bench.ts and stops it with
 * itself. Keycloak is a JVM, so child-guard.ts cannot be preloaded into it: this Node process carries the
 * guard and, when it is told to stop, stops Keycloak's process group. `timeout` bounds Keycloak's life even
 * if this process is killed outright.
 */

import '../lib/child-guard.ts';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { KEYCLOAK_READY, type KeycloakConfig } from './peers-protocol.ts';
import { CONFIG_ENV, readConfig } from '../lib/protocol.ts';

// Shorter than the grace the bench and child-guard.ts give this process before they kill it.
const STOP_GRACE_SECONDS = 4;

const config = readConfig<KeycloakConfig>();
const base = `http://127.0.0.1:${config.port}`;

const env: NodeJS.ProcessEnv = {
  ...process.env,
  JAVA_HOME: config.javaHome,
  // Secrets in the environment, not on the command line where `ps` shows them.
  KC_BOOTSTRAP_ADMIN_CLIENT_ID: config.adminClientId,
  KC_BOOTSTRAP_ADMIN_CLIENT_SECRET: config.adminClientSecret,
};
delete env[CONFIG_ENV];

const keycloak = spawn(
  'timeout',
  [
    `--kill-after=${STOP_GRACE_SECONDS}`,
    String(config.maxSeconds),
    join(config.home, 'bin', 'kc.sh'),
    'start-dev',
    '--http-host=127.0.0.1',
    `--http-port=${config.port}`,
    // Only used when health or metrics are on; bound to loopback all the same.
    '--http-management-host=127.0.0.1',
  ],
  {
    cwd: config.home,
    // Its own process group, so stopping it reaches timeout, kc.sh and the JVM alike.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  },
);

keycloak.stderr.pipe(process.stderr);
createInterface({ input: keycloak.stdout }).on('line', (line) => {
  process.stdout.write(`${line}\n`);
  if (line.includes(`Listening on: ${base}`)) process.stdout.write(`${KEYCLOAK_READY}${base}\n`);
});

let exited = false;
keycloak.once('exit', (code, signal) => {
  exited = true;
  process.stderr.write(`keycloak exited (${code ?? signal})\n`);
  process.exit(code === 0 ? 0 : 1);
});

function signalKeycloak(signal: NodeJS.Signals): void {
  if (exited || keycloak.pid === undefined) return;
  try {
    process.kill(-keycloak.pid, signal);
  } catch {
    // Already gone.
  }
}

function stopKeycloak(): void {
  if (exited) process.exit(0);
  signalKeycloak('SIGTERM');
  setTimeout(() => {
    signalKeycloak('SIGKILL');
    process.exit(1);
  }, STOP_GRACE_SECONDS * 1000).unref();
}

// However this process ends (child-guard.ts exits it after its own grace), Keycloak does not outlive it.
process.on('exit', () => signalKeycloak('SIGKILL'));

process.once('SIGTERM', stopKeycloak);
process.once('SIGINT', stopKeycloak);
