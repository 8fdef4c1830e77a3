/**
 * Runs Argo CD health scripts with a real Lua interpreter: gopher-lua's `glua`, the Lua that Argo CD embeds,
 * built from the Go module proxy by scripts/tools/build-lua.sh into a cache folder (or `LATCHKEY_GLUA`).
 * The object is handed over as Argo CD does it (util/lua/lua.go: the global `obj`, maps and lists as tables),
 * in the sandbox Argo CD gives scripts from argocd-cm without `useOpenLibs`: no string, math, io or debug.
 */
import { execFile, spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const buildLuaScript = join(repoRoot, 'scripts/tools/build-lua.sh');

const HOW_TO_GET =
  `Make Go (with access to the Go module proxy) available on PATH so that ${buildLuaScript} can build ` +
  "gopher-lua's glua into ${LATCHKEY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/latchkey}/tools/glua/, " +
  'or set LATCHKEY_GLUA to a glua binary (go install github.com/yuin/gopher-lua/cmd/glua@v1.1.1).';

export interface HealthStatus {
  status: string;
  message?: string;
}

let gluaPromise: Promise<string> | undefined;

/** The glua binary: `LATCHKEY_GLUA`, or the one build-lua.sh builds (once) and reuses. Never skips: throws how to get it. */
export function glua(): Promise<string> {
  gluaPromise ??= findGlua();
  gluaPromise.catch(() => {
    gluaPromise = undefined;
  });
  return gluaPromise;
}

async function findGlua(): Promise<string> {
  const fromEnv = process.env.LATCHKEY_GLUA;
  if (fromEnv) {
    try {
      await access(fromEnv, constants.X_OK);
    } catch {
      throw new Error(`LATCHKEY_GLUA=${fromEnv} is not an executable file. ${HOW_TO_GET}`);
    }
    return fromEnv;
  }
  const result = await new Promise<{ code: number | null; stdout: string; stderr: string; error?: Error }>(
    (done) => {
      let stdout = '';
      let stderr = '';
      const child = spawn('bash', [buildLuaScript], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.on('error', (error) => done({ code: null, stdout, stderr, error }));
      child.on('close', (code) => done({ code, stdout, stderr }));
    },
  );
  const binary = result.stdout.trim().split('\n').at(-1)?.trim() ?? '';
  if (result.code !== 0 || binary === '') {
    const tail = result.stderr.trim().split('\n').slice(-15).join('\n');
    throw new Error(
      `Could not get a Lua interpreter: ${buildLuaScript} ` +
        (result.error ? `could not run (${result.error.message})` : `exited with code ${result.code}`) +
        `.\n${tail}\n${HOW_TO_GET}`,
    );
  }
  return binary;
}

/** A Lua 5.1 string literal of the UTF-8 bytes of `s`; bytes outside printable ASCII become `\ddd`. */
export function luaString(s: string): string {
  let out = '"';
  for (const byte of Buffer.from(s, 'utf8')) {
    if (byte === 0x22 || byte === 0x5c) out += `\\${String.fromCharCode(byte)}`;
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\${byte}`;
  }
  return `${out}"`;
}

/**
 * Lua source for a decoded JSON/YAML value, the way Argo CD's decodeValue converts an unstructured object:
 * maps and lists become tables (lists 1-based), null becomes nil.
 */
export function luaValue(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot hand ${value} to Lua`);
    return String(value);
  }
  if (typeof value === 'string') return luaString(value);
  if (Array.isArray(value)) return `{${value.map(luaValue).join(', ')}}`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).map(
      ([k, v]) => `[${luaString(k)}] = ${luaValue(v)}`,
    );
    return `{${entries.join(', ')}}`;
  }
  throw new Error(`cannot hand a ${typeof value} to Lua`);
}

/** Status and message on the first two lines, so a message's own text cannot be mistaken for a status. */
function harness(scriptPath: string, object: unknown): string {
  return `
local write, type, tostring, loadfile, error = io.write, type, tostring, loadfile, error
local chunk, loadError = loadfile(${luaString(scriptPath)})
if chunk == nil then error(loadError) end
-- Argo CD opens only base, table, package and a safe os for argocd-cm scripts (util/lua/lua.go runLua).
debug.setmetatable("", nil)
string, math, io, coroutine, debug, channel, os = nil, nil, nil, nil, nil, nil, nil
obj = ${luaValue(object)}
local hs = chunk()
if type(hs) ~= "table" then error("the health script returned a " .. type(hs) .. ", not a table") end
write(tostring(hs.status), "\\n", hs.message == nil and "<nil>" or tostring(hs.message))
`;
}

/** Runs one health.lua against one object as Argo CD would; the result in health_test.yaml's shape. */
export async function runHealthScript(scriptPath: string, object: unknown): Promise<HealthStatus> {
  const binary = await glua();
  let stdout: string;
  try {
    ({ stdout } = await run(binary, ['-e', harness(scriptPath, object)], { timeout: 10_000 }));
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`${scriptPath} failed in glua: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
  const newline = stdout.indexOf('\n');
  const status = stdout.slice(0, newline);
  const message = stdout.slice(newline + 1);
  return message === '<nil>' ? { status } : { status, message };
}
