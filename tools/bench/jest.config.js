module.exports = {
  displayName: 'bench',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  globalSetup: '<rootDir>/../../libs/test-kit/src/lib/jest-global-setup.ts',
  globalTeardown: '<rootDir>/../../libs/test-kit/src/lib/jest-global-teardown.ts',
};
