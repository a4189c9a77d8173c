module.exports = {
  displayName: 'e2e',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  // The fault suite is its own target (test-faults): timed, under load, one file at a time; so are
  // the browser tests (test-browser), which need Chromium.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/faults/', '<rootDir>/browser/'],
  globalSetup: '<rootDir>/../../libs/test-kit/src/lib/jest-global-setup.ts',
  globalTeardown: '<rootDir>/../../libs/test-kit/src/lib/jest-global-teardown.ts',
};
