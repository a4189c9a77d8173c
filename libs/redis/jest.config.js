module.exports = {
  displayName: 'redis',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  globalSetup: '<rootDir>/../test-kit/src/lib/jest-global-setup.ts',
  globalTeardown: '<rootDir>/../test-kit/src/lib/jest-global-teardown.ts',
};
