import { formatProblem } from '../manifests/problem.ts';
import type { ValidationProblem, ValidationResult } from './validate.ts';

/** 1 when any problem is an error: the pipeline must stop. Warnings alone pass. */
export function exitCodeOf(result: ValidationResult): 0 | 1 {
  return result.problems.some((p) => p.severity === 'error') ? 1 : 0;
}

/**
 * One line per skipped file, one per problem as dev mode prints them, warnings marked as compilers mark them,
 * then a summary.
 * @example
 * // payments.yaml:14: Role payments/auditor: spec.permissions[0]: ResourceServer payments/api does not declare scope payments:audit
 * // 1 error in 3 files
 */
export function formatText(result: ValidationResult): string {
  const lines = [
    ...result.skipped.map(({ file, reason }) => `${file}: skipped: ${reason}`),
    ...result.problems.map(problemLine),
  ];
  const errors = result.problems.filter((p) => p.severity === 'error').length;
  const warnings = result.problems.length - errors;
  const counts = [
    ...(errors > 0 ? [plural(errors, 'error')] : []),
    ...(warnings > 0 ? [plural(warnings, 'warning')] : []),
  ];
  const skipped = result.skipped.length > 0 ? `, ${result.skipped.length} skipped` : '';
  lines.push(
    `${counts.length > 0 ? counts.join(' and ') : 'no problems'} in ${plural(result.files, 'file')}${skipped}`,
  );
  return `${lines.join('\n')}\n`;
}

/** `{"problems": [{file, line, object, field, message, severity}], "skipped": [{file, reason}]}`, for tools. */
export function formatJson(result: ValidationResult): string {
  const problems = result.problems.map(({ file, line, object, field, message, severity }) => ({
    file,
    line,
    object,
    field,
    message,
    severity,
  }));
  const skipped = result.skipped.map(({ file, reason }) => ({ file, reason }));
  return `${JSON.stringify({ problems, skipped }, null, 2)}\n`;
}

function problemLine(p: ValidationProblem): string {
  const line = formatProblem(p);
  if (p.severity === 'error') return line;
  const at = `${p.file}:${p.line}: `;
  return `${at}warning: ${line.slice(at.length)}`;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
