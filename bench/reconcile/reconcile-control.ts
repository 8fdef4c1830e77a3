/**
 * Preloaded into the operator the reconcile bench starts (`--expose-gc --import reconcile-control.ts`): the
 * bench sends commands as lines on the operator's stdin (the pipe child-guard.ts also watches):
 *
 * - `gc`: a full garbage collection, so the heap read afterwards is what the operator keeps;
 * - `profile-start`: starts the V8 CPU profiler (node:inspector, in process);
 * - `profile-stop <path>`: stops it and writes the `.cpuprofile` JSON to `<path>`.
 *
 * No Latchkey file knows about it.
 */

import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { createInterface } from 'node:readline';

let session: Session | undefined;

async function run(command: string, arg: string): Promise<void> {
  switch (command) {
    case 'gc':
      globalThis.gc?.();
      return;
    case 'profile-start':
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
      return;
    case 'profile-stop': {
      if (session === undefined) return;
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      session = undefined;
      await writeFile(arg, JSON.stringify(profile));
      return;
    }
  }
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const [command = '', ...rest] = line.trim().split(' ');
  run(command, rest.join(' ')).catch((err: unknown) =>
    process.stderr.write(`bench control: ${command} failed: ${(err as Error).message}\n`),
  );
});
