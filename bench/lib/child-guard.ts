/**
 * Makes a process the bench starts stop by itself: when its parent goes away (stdin, a pipe from the parent,
 * reaches its end) or when its time is up (`LATCHKEY_BENCH_MAX_SECONDS`). The floor server and the load
 * generator import it; Latchkey gets it with `--import`, so no Latchkey file knows about the bench.
 */

import { fstatSync } from 'node:fs';

const DEFAULT_MAX_SECONDS = 900;
const GRACE_MS = 5_000;

function stop(reason: string): void {
  process.stderr.write(`bench: ${reason}; stopping\n`);
  // SIGTERM first so a server drains and closes its sockets; exit anyway if it does not.
  setTimeout(() => process.exit(1), GRACE_MS).unref();
  process.kill(process.pid, 'SIGTERM');
}

const maxSeconds = Number(process.env.LATCHKEY_BENCH_MAX_SECONDS ?? DEFAULT_MAX_SECONDS);
setTimeout(
  () => stop(`ran for ${maxSeconds}s, the most the bench allows`),
  (Number.isFinite(maxSeconds) && maxSeconds > 0 ? maxSeconds : DEFAULT_MAX_SECONDS) * 1000,
).unref();

// Only a pipe tells us the parent is gone; a terminal or /dev/null (someone running a child by hand) does not.
const stdin = fstatSync(0);
if (stdin.isFIFO() || stdin.isSocket()) {
  process.stdin.on('end', () => stop('the bench is gone'));
  process.stdin.on('error', () => stop('the bench is gone'));
  process.stdin.resume();
  // Reading stdin must not keep a process alive that would otherwise exit.
  process.stdin.unref();
}
