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
