import { describe, expect, it } from 'vitest';
import { parseYamlDocuments } from '../../src/manifests/yaml-source.ts';
import { notManifestsReason } from '../../src/validate/not-manifests.ts';

const REASON =
  "not a Kubernetes manifest: no document has kind or metadata at the top level (a Helm values.yaml, a Chart.yaml, another tool's configuration)";

describe('notManifestsReason', () => {
  it.each<[string, string, string | undefined]>([
    ['a Helm values.yaml', 'replicaCount: 2\nimage: {repository: latchkey}\n', REASON],
    [
      'a Chart.yaml, which has an apiVersion but no kind',
      'apiVersion: v2\nname: latchkey\nversion: 0.1.0\n',
      REASON,
    ],
    ['several such documents', 'a: 1\n---\nb: 2\n---\n', REASON],
    [
      'a Latchkey manifest',
      'apiVersion: latchkey.dev/v1alpha1\nkind: Role\nmetadata: {name: r}\n',
      undefined,
    ],
    // A manifest that lost its apiVersion and kind is still one, and its problems are reported.
    ['a document with metadata only', 'metadata: {name: r, namespace: x}\nspec: {}\n', undefined],
    ['a document with kind only', 'kind: OAuthClient\n', undefined],
    ['one manifest among other documents', 'a: 1\n---\nkind: Secret\napiVersion: v1\n', undefined],
    ['an empty file, which declares nothing as kubectl sees it', '# nothing yet\n', undefined],
    ['a file that is not valid YAML, whose syntax errors are reported', 'a: [1\n', undefined],
    ['a list, which kubectl refuses as a manifest', '- a\n- b\n', undefined],
  ])('%s', (_, text, expected) => {
    expect(notManifestsReason(parseYamlDocuments(text))).toBe(expected);
  });
});
