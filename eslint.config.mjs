// Typed linting: the promise rules catch the bugs that lose events and requests
// (a publish nobody awaits, an async handler where a sync one is expected).
// The layer rules hold the architecture: domain code is plain TypeScript (no GraphQL,
// ORM or SQL), the GraphQL layer doesn't reach into persistence, and only persistence
// and migrations talk SQL.
import prettierOff from 'eslint-config-prettier';
import pluginVue from 'eslint-plugin-vue';
import tseslint from 'typescript-eslint';

const SQL_AND_ORM = ['knex', 'pg', 'objection'];
const GRAPHQL = ['graphql', 'type-graphql', 'graphql-scalars', '@apollo/server', '@apollo/subgraph', '@apollo/gateway', 'graphql-ws'];
const restrict = (names, message) => names.map((name) => ({ name, message }));

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.cache/**', 'coverage/**', 'ops/jest/**', 'console/src/gql/**', 'eslint.config.mjs', 'jest.config.js'] },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.base],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // Dead code stays out: an unused import or variable fails the lint (knip covers exports and files).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },
  {
    // Quality gate: cyclomatic complexity at most 15 per function in source (tests may branch more).
    files: ['**/*.ts'],
    ignores: ['**/test/**'],
    rules: { complexity: ['error', 15] },
  },
  {
    files: ['subgraphs/*/src/domain/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            ...restrict(SQL_AND_ORM, 'domain code talks to storage through its ports (persistence/ implements them)'),
            ...restrict(GRAPHQL, 'domain code knows no GraphQL (graphql/ maps to and from it)'),
            ...restrict(['prom-client'], 'domain code reports business events through the BusinessMetrics port (@evcs/platform)'),
          ],
          patterns: [
            { group: ['**/persistence/**', '**/persistence'], message: 'domain code depends on its ports, not on persistence' },
            { group: ['**/graphql/**', '**/graphql'], message: 'domain code knows no GraphQL layer' },
            { group: ['knex/*', 'pg/*', 'objection/*', '@apollo/*', 'prom-client/*'], message: 'no storage, GraphQL or metrics libraries in domain code' },
          ],
        },
      ],
    },
  },
  {
    files: ['subgraphs/*/src/graphql/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: restrict(SQL_AND_ORM, 'the GraphQL layer calls domain services; only persistence talks SQL'),
          patterns: [
            {
              group: ['**/persistence/**', '**/persistence'],
              message: 'the GraphQL layer imports no persistence types (shared read types live in domain/)',
              allowTypeImports: false,
            },
            { group: ['knex/*', 'pg/*', 'objection/*'], message: 'only persistence talks SQL' },
          ],
        },
      ],
    },
  },
  {
    // Everything else in a subgraph's src (events, jobs, clients, server wiring): no SQL of its own.
    files: ['subgraphs/*/src/**/*.ts'],
    ignores: ['subgraphs/*/src/persistence/**', 'subgraphs/*/src/domain/**', 'subgraphs/*/src/graphql/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: restrict(SQL_AND_ORM, 'only persistence talks SQL'),
          patterns: [{ group: ['knex/*', 'pg/*', 'objection/*'], message: 'only persistence talks SQL' }],
        },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.property.name='raw']", message: 'SQL belongs in persistence/ (a store or repository method)' },
      ],
    },
  },
  // The console's single-file components: Vue's recommended rules (template correctness, the
  // Composition API's pitfalls), with TypeScript in <script setup>; formatting is prettier's.
  ...pluginVue.configs['flat/recommended'].map((c) => ({ ...c, files: ['console/**/*.vue'] })),
  {
    files: ['console/**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'], sourceType: 'module' } },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      complexity: ['error', 15],
    },
  },
  { ...prettierOff, files: ['console/**/*.vue'] },
);
