module.exports = {
  displayName: 'cart-cache',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  globalSetup: '<rootDir>/../test-kit/src/lib/jest-global-setup.ts',
  globalTeardown: '<rootDir>/../test-kit/src/lib/jest-global-teardown.ts',
};
