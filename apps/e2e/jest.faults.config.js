// The fault-injection suite (apps/e2e/faults): the built services as child processes, their Redis
// killed, frozen, slowed or cut. Run it on its own, one file at a time (the faults are timed and share
// two cores): npx jest -c apps/e2e/jest.faults.config.js --ci --runInBand
// It needs the bundles first: npx nx run-many -t build -p gateway inventory checkout
module.exports = {
  displayName: 'e2e-faults',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  testMatch: ['<rootDir>/faults/**/*.spec.ts'],
  globalSetup: '<rootDir>/../../libs/test-kit/src/lib/jest-global-setup.ts',
  globalTeardown: '<rootDir>/../../libs/test-kit/src/lib/jest-global-teardown.ts',
};
