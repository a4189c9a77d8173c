// ESLint for the whole tree (npm run lint): ESLint's and typescript-eslint's recommended rules, who may
// import whom from the Nx project tags (@nx/enforce-module-boundaries), and eslint-config-prettier last,
// so that layout is Prettier's alone.
//
// The Nx rule reads the project graph that Nx caches in .nx/: `npm run lint` refreshes it first
// (`nx show projects`); without a cached graph the rule skips itself with a warning.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// Test code in any project: spec files, a project's test/ folder, a library's `testing` entry.
const testFiles = ['**/*.spec.ts', '**/test/**/*.ts', '**/testing/**/*.ts', '**/testing.ts'];

// Apps import libraries only, never another app (the Nx rule refuses any import of an app, and any
// relative import into another project); libraries never import apps; the end-to-end project may
// also use the test kit, and so may the tools. The storefront page (type:web) runs in a browser and
// knows the storefront only through its HTTP API: it imports no project at all.
const productionConstraints = [
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
  { sourceTag: 'type:web', onlyDependOnLibsWithTags: [] },
  { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
  { sourceTag: 'type:test', onlyDependOnLibsWithTags: ['type:lib', 'type:test'] },
  { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:lib', 'type:test'] },
  { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib', 'type:test'] },
];
// The tests of an app or a library may use the test kit too. (Not notDependOnLibsWithTags in
// production code: Nx checks that one transitively, and the graph counts the libraries' tests,
// which use the test kit.)
const testConstraints = productionConstraints.map((constraint) =>
  ['type:app', 'type:lib'].includes(constraint.sourceTag)
    ? { ...constraint, onlyDependOnLibsWithTags: ['type:lib', 'type:test'] }
    : constraint,
);

const boundaries = (depConstraints, { allow = [], tests = false } = {}) => [
  'error',
  {
    depConstraints,
    allow,
    // A library's tests import it by its public name, as its users do.
    allowCircularSelfDependency: tests,
    // The test kit starts Redis for the tests of @storefront/redis, which it uses itself: the graph
    // counts test files, so that is a cycle to Nx, though no production code is in it.
    ignoredCircularDependencies: [['redis', 'test-kit']],
  },
];

export default defineConfig(
  {
    ignores: ['**/dist/', '**/node_modules/', '**/.nx/', '**/coverage/'],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    rules: {
      // A `let` that a callback reads before its one assignment cannot be a const declared there.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: { '@nx/enforce-module-boundaries': boundaries(productionConstraints) },
  },
  {
    files: testFiles,
    rules: { '@nx/enforce-module-boundaries': boundaries(testConstraints, { tests: true }) },
  },
  {
    // Only the end-to-end project starts the apps themselves, in-process, from their sources.
    files: ['apps/e2e/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': boundaries(testConstraints, {
        allow: ['../../gateway/src/**', '../../inventory/src/**', '../../checkout/src/**', '../../checkout/test/**'],
      }),
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
    // The .js files are CommonJS (Jest's configuration): require is how they import.
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module', globals: globals.node },
  },
  prettier,
);
