/**
 * The line `latchkey` prints for an error that ends it, and its exit code: a configuration error as it is
 * (exit 2, the command line or files to fix), anything else after its code (exit 1). A system error's message
 * already starts with its code (`ENOENT: no such file…`), which is not said twice.
 */
export function errorExit(err: unknown): { line: string; code: 1 | 2 } {
  const e: Error & { code?: unknown } = err instanceof Error ? err : new Error(String(err));
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (code === 'LATCHKEY_CONFIG') return { line: `latchkey: ${e.message}\n`, code: 2 };
  const named = code !== undefined && e.message.startsWith(`${code}:`) ? '' : `${code ?? 'error'}: `;
  return { line: `latchkey: ${named}${e.message}\n`, code: 1 };
}
