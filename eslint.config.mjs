// Lint: TypeScript rules everywhere, and the workflow-determinism rules of STYLE.md under workflows/.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const forbiddenInWorkflows = [
  ...builtinModules,
  ...builtinModules.map((m) => `node:${m}`),
  'pg', 'typeorm', 'koa', '@koa/router', 'openid-client', 'oauth-1.0a', 'undici', 'axios', 'node-fetch',
  '@temporalio/client', '@temporalio/worker', '@temporalio/activity',
];

// What the Connect UI's modules may use from the browser (listed rather than pulled from a package).
const browserGlobals = ['window', 'document', 'fetch', 'URL', 'URLSearchParams', 'WebSocket', 'CSS', 'console', 'Event'];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.data/', 'test-artifacts/', 'tools/', 'eslint.config.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // The Connect UI's browser modules (plain JS, no build): browser globals, no type information
    // (they are not in a TypeScript project), the recommended rules otherwise.
    files: ['src/connect-ui/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      sourceType: 'module',
      ecmaVersion: 2022,
      parserOptions: { projectService: false },
      globals: Object.fromEntries(browserGlobals.map((name) => [name, 'readonly'])),
    },
    rules: {
      ...tseslint.configs.disableTypeChecked.rules,
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'no-restricted-globals': ['error', { name: 'eval', message: 'The Connect UI runs under a CSP without unsafe-eval.' }],
      'no-restricted-properties': ['error',
        { property: 'innerHTML', message: 'Build DOM nodes and use textContent: API data must never be parsed as HTML.' },
        { property: 'outerHTML', message: 'Build DOM nodes and use textContent: API data must never be parsed as HTML.' },
        { property: 'insertAdjacentHTML', message: 'Build DOM nodes and use textContent: API data must never be parsed as HTML.' }],
    },
  },
  {
    // The provider catalog and auth modes stand alone: nothing under providers/ reaches into the
    // application, except the error kernel (typed errors and their catalogue).
    files: ['providers/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{
          regex: '^(\\.\\./)+src/(?!errors$|error-catalogue$)',
          message: 'providers/ may import only src/errors and src/error-catalogue from src/.',
        }],
      }],
    },
  },
  {
    // The application talks to workflows through their messages modules (names, inputs, ids), never their code.
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{
          regex: '^(\\.\\./)+workflows/(?!.*-messages$|connection-identity$)',
          message: 'src/ may import only the messages modules of workflows/ (and connection-identity).',
        }],
      }],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: forbiddenInWorkflows.map((name) => ({ name, message: 'workflows/ must stay deterministic: no Node built-ins, DB, ORM, HTTP or Temporal client/worker imports.' })),
        patterns: [{ group: ['**/activities/**', '../activities/*'], allowTypeImports: true, message: 'Import activities with `import type` only.' }],
      }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
);
