// ESLint for the whole tree (npm run lint): ESLint's and typescript-eslint's recommended rules, who may
// import whom from the Nx project tags (@nx/enforce-module-boundaries), and eslint-config-prettier last,
// so that layout is Prettier's alone.
//
// The Nx rule reads the project graph that Nx caches in .nx/: `npm run lint` refreshes it first
// (`nx show projects`); without a cached graph the rule skips itself with a warning.
import { readFileSync } from 'node:fs';
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// An app's declared entries: the tsconfig.base.json paths into apps/, such as @storefront/checkout/server.
// The Nx rule refuses any import of an app; the end-to-end project, which starts the apps in its own
// process, may use these entries and nothing else of an app.
const { compilerOptions } = JSON.parse(readFileSync(new URL('./tsconfig.base.json', import.meta.url), 'utf8'));
const declaredAppEntries = Object.entries(compilerOptions.paths)
  .filter(([, [target]]) => target.startsWith('apps/'))
  .map(([alias]) => alias);

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
    // The test kit uses @storefront/redis and @storefront/service-kit, whose tests use the test kit
    // (a Redis, raw HTTP exchanges): the graph counts test files, so that is a cycle to Nx, though no
    // production code is in it.
    ignoredCircularDependencies: [
      ['redis', 'test-kit'],
      ['service-kit', 'test-kit'],
    ],
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
    // Only the end-to-end project starts the apps themselves, in-process, through their declared entries.
    files: ['apps/e2e/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': boundaries(testConstraints, { allow: declaredAppEntries }) },
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
