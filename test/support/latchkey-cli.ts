import { spawn, type ChildProcess } from 'node:child_process';

/**
 * The `latchkey` command as a person runs it: a process of src/cli/main.ts on this Node.js, with its own HOME
 * and nothing else of this process's environment, whose output the test reads as it comes.
 */

const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;

/** A running `latchkey`; {@link latchkey} starts one. */
export interface Run {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exited: Promise<number>;
  /** Resolves with standard error once it matches `pattern`. */
  stderrMatching(pattern: RegExp): Promise<RegExpExecArray>;
}

/** Starts `latchkey <args>` with `home` as HOME and `env` added. */
export function latchkey(home: string, args: string[], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: home, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const waiting: { pattern: RegExp; resolve: (m: RegExpExecArray) => void }[] = [];
  const run: Run = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.on('close', (code) => resolve(code ?? -1))),
    stderrMatching(pattern) {
      return new Promise((resolve) => {
        waiting.push({ pattern, resolve });
        check();
      });
    },
  };
  const check = () => {
    for (const w of [...waiting]) {
      const m = w.pattern.exec(run.stderr);
      if (m !== null) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  child.stdout?.on('data', (chunk: Buffer) => (run.stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => {
    run.stderr += chunk.toString();
    check();
  });
  return run;
}
