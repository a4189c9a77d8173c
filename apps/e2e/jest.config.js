module.exports = {
  displayName: 'e2e',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  globalSetup: '<rootDir>/../../libs/cart-cache/src/testing/jest-global-setup.ts',
  globalTeardown: '<rootDir>/../../libs/cart-cache/src/testing/jest-global-teardown.ts',
};
