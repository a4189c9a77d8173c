module.exports = {
  displayName: 'e2e',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  // The fault suite is its own target (test-faults): timed, under load, one file at a time.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/faults/'],
  globalSetup: '<rootDir>/../../libs/cart-cache/src/testing/jest-global-setup.ts',
  globalTeardown: '<rootDir>/../../libs/cart-cache/src/testing/jest-global-teardown.ts',
};
