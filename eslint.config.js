import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Which src folders each folder must not import (issue 15): a folder imports only from the layers below it.
 * The token server reaches neither Kubernetes nor the operator; dev mode and the operator are siblings that
 * share what lies below both (connections/, runtime/); the store knows no caller. `kube/types.ts` is the
 * KubeApi interface, which a Connection check of type kubernetes takes without loading the client.
 * test/architecture/layers.test.ts proves each rule fires.
 */
const FORBIDDEN_IMPORTS = {
  server: ['operator', 'kube', 'dev', 'cli', 'validate'],
  dev: ['operator', 'cli', 'validate'],
  store: ['server', 'operator', 'kube', 'dev', 'cli', 'validate', 'connections'],
  connections: ['server', 'operator', 'dev', 'cli', 'validate', 'kube'],
  runtime: ['server', 'operator', 'dev', 'cli', 'validate', 'kube', 'connections', 'store'],
  state: ['server', 'operator', 'dev', 'cli', 'validate', 'kube', 'connections', 'store'],
  kube: ['server', 'operator', 'dev', 'cli', 'validate', 'connections', 'store'],
  validate: ['server', 'operator', 'dev', 'cli', 'kube'],
  manifests: ['server', 'operator', 'dev', 'cli', 'validate', 'kube', 'connections', 'runtime'],
  outbound: ['server', 'operator', 'dev', 'cli', 'validate', 'kube', 'connections', 'runtime', 'store'],
  keys: ['server', 'operator', 'dev', 'cli', 'validate', 'kube', 'connections', 'runtime', 'store'],
  api: ['server', 'operator', 'dev', 'cli', 'validate', 'kube', 'connections', 'runtime', 'store', 'keys'],
};
/** Imports a folder may make although they are under a forbidden folder. */
const ALLOWED_IMPORTS = { connections: ['**/kube/types.ts'] };

const layerRules = Object.entries(FORBIDDEN_IMPORTS).map(([folder, forbidden]) => ({
  files: [`src/${folder}/**`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            group: [
              ...forbidden.map((below) => `**/${below}/**`),
              ...(ALLOWED_IMPORTS[folder] ?? []).map((allowed) => `!${allowed}`),
            ],
            message: `src/${folder} must not import from ${forbidden.join(', ')}: see the layers in eslint.config.js (issue 15).`,
          },
        ],
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.bench-build/', '.latchkey/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Inject a clock (deps.now) instead.' },
      ],
    },
  },
  ...layerRules,
  {
    files: ['test/**', 'bench/**', 'scripts/**'],
    rules: { 'no-restricted-properties': 'off' },
  },
);
