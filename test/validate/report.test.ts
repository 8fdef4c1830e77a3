import { describe, expect, it } from 'vitest';
import { exitCodeOf, formatJson, formatText } from '../../src/validate/report.ts';
import type { SkippedFile, ValidationProblem, ValidationResult } from '../../src/validate/validate.ts';

const error: ValidationProblem = {
  file: 'a.yaml',
  line: 3,
  object: 'Role/x/r',
  field: 'spec.permissions[0]',
  message: 'ResourceServer x/api not found or not ready',
  severity: 'error',
};
const warning: ValidationProblem = {
  file: 'b.yaml',
  line: 1,
  object: 'document 2',
  field: '',
  message: 'something to look at',
  severity: 'warning',
};
const result = (problems: ValidationProblem[], files = 2, skipped: SkippedFile[] = []): ValidationResult => ({
  files,
  problems,
  skipped,
});
const values: SkippedFile = { file: 'charts/app/values.yaml', reason: 'not a Kubernetes manifest: …' };

describe('formatText', () => {
  it('prints problems as dev mode does, marks warnings, and counts', () => {
    expect(formatText(result([error, warning]))).toBe(
      'a.yaml:3: Role/x/r: spec.permissions[0]: ResourceServer x/api not found or not ready\n' +
        'b.yaml:1: warning: document 2: something to look at\n' +
        '1 error and 1 warning in 2 files\n',
    );
  });

  it('says so when there is nothing to report, in the singular when it is one', () => {
    expect(formatText(result([], 1))).toBe('no problems in 1 file\n');
    expect(
      formatText(result([error, error], 1))
        .split('\n')
        .at(-2),
    ).toBe('2 errors in 1 file');
    expect(
      formatText(result([warning, warning], 3))
        .split('\n')
        .at(-2),
    ).toBe('2 warnings in 3 files');
  });
});

describe('formatText: skipped files', () => {
  it('says which files it skipped and why, before the summary that counts them', () => {
    expect(formatText(result([error], 2, [values]))).toBe(
      'charts/app/values.yaml: skipped: not a Kubernetes manifest: …\n' +
        'a.yaml:3: Role/x/r: spec.permissions[0]: ResourceServer x/api not found or not ready\n' +
        '1 error in 2 files, 1 skipped\n',
    );
    expect(formatText(result([], 1, [values, values]))).toBe(
      'charts/app/values.yaml: skipped: not a Kubernetes manifest: …\n'.repeat(2) +
        'no problems in 1 file, 2 skipped\n',
    );
  });
});

describe('formatJson', () => {
  it('prints exactly {problems: [{file, line, object, field, message, severity}], skipped: [{file, reason}]}', () => {
    expect(JSON.parse(formatJson(result([error, warning], 2, [values])))).toEqual({
      problems: [error, warning],
      skipped: [values],
    });
    expect(formatJson(result([]))).toBe('{\n  "problems": [],\n  "skipped": []\n}\n');
  });
});

describe('exitCodeOf', () => {
  it('is 1 when any problem is an error, 0 for warnings, skipped files or nothing', () => {
    expect(exitCodeOf(result([warning, error]))).toBe(1);
    expect(exitCodeOf(result([warning]))).toBe(0);
    expect(exitCodeOf(result([], 1, [values]))).toBe(0);
    expect(exitCodeOf(result([]))).toBe(0);
  });
});
