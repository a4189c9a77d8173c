// The storefront page in a real headless Chromium (apps/e2e/browser): Debian's /usr/bin/chromium (or
// CHROMIUM_PATH) driven by playwright-core, against the built services and page. One file at a time:
// a browser is heavy on a shared machine. Screenshots go to dist/screenshots.
// It needs the bundles first: npx nx run-many -t build -p gateway inventory checkout
module.exports = {
  displayName: 'e2e-browser',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  testMatch: ['<rootDir>/browser/**/*.spec.ts'],
  globalSetup: '<rootDir>/../../libs/test-kit/src/lib/jest-global-setup.ts',
  globalTeardown: '<rootDir>/../../libs/test-kit/src/lib/jest-global-teardown.ts',
  testTimeout: 60000,
};
