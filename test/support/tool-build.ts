/**
 * Tools the tests build from their Go modules into the cache (scripts/tools/build-*.sh): the script prints the
 * built path as its last line, and answers at once when the cache already holds it.
 */
import { spawn } from 'node:child_process';

/**
 * A function that runs `script` once (again after a failure) and resolves with the path it printed last. The
 * script's progress lines starting with `progress` are passed on to stderr, not every downloaded module; a
 * failure rejects with the script's exit code and the tail of its output.
 */
export function builtTool(script: string, cwd: string, progress: string): () => Promise<string> {
  let built: Promise<string> | undefined;
  return () => {
    built ??= new Promise<string>((done, fail) => {
      let stdout = '';
      let stderr = '';
      const child = spawn('bash', [script], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        for (const line of chunk.split('\n'))
          if (line.startsWith(progress)) process.stderr.write(`${line}\n`);
      });
      child.on('error', fail);
      child.on('close', (code) => {
        const path = stdout.trim().split('\n').at(-1)?.trim() ?? '';
        if (code === 0 && path) done(path);
        else {
          const tail = stderr.trim().split('\n').slice(-25).join('\n');
          fail(new Error(`${script} exited with code ${code}:\n${tail}`));
        }
      });
    });
    built.catch(() => {
      built = undefined;
    });
    return built;
  };
}
