import { describe, expect, it } from 'vitest';
import { parseManifests } from '../../src/manifests/index.ts';

// Issue 9: a Secret value that is not a string was echoed in the error ("got 12345678901234567890").
// The problem names the file, object and field, and the kind of value, never the value.

const VALUES: [string, string][] = [
  ['a number', '12345678901234567890'],
  ['a boolean', 'true'],
  ['a mapping', '{nested: hunter2hunter2}'],
  ['a list', '[hunter2hunter2]'],
];

describe('parseManifests: a Secret value that is not a string', () => {
  for (const field of ['data', 'stringData']) {
    it.each(VALUES)(`names ${field}.client_secret and says it is %s, without its value`, (kind, value) => {
      const text = `apiVersion: v1
kind: Secret
metadata: {name: corp-sso-oauth, namespace: platform}
${field}:
  client_secret: ${value}
`;
      const { problems } = parseManifests(text, 'secrets.yaml');
      expect(problems).toHaveLength(1);
      const [problem] = problems;
      expect(problem).toMatchObject({
        file: 'secrets.yaml',
        line: 5,
        object: 'Secret/platform/corp-sso-oauth',
        field: `${field}.client_secret`,
      });
      expect(problem?.message).toContain('must be a string');
      expect(problem?.message).not.toContain('hunter2');
      expect(problem?.message).not.toContain('1234567890');
      expect(problem?.message).toContain(`got ${kind}`);
    });
  }
});
