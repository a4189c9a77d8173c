// `npm run test:topologies`: the Redis and cart libraries' tests, the gateway's key-slot test and the
// end-to-end storefront suite, on a Redis Cluster (3 primaries, 3 replicas) and on Sentinel (1
// primary, 2 replicas, 3 sentinels), each started from redis-server and redis-sentinel processes by
// the tests' globalSetup (STOREFRONT_TEST_TOPOLOGY). Runs everything, then exits non-zero if anything
// failed.
import { spawnSync } from 'node:child_process';

const suites = [
  ['npx', ['nx', 'run-many', '-t', 'test', '-p', 'redis', 'cart-cache', '--parallel=1', '--outputStyle=stream']],
  ['npx', ['jest', '-c', 'apps/gateway/jest.config.js', 'apps/gateway/test/session-keys.spec.ts']],
  [
    'npx',
    [
      'jest',
      '-c',
      'apps/e2e/jest.config.js',
      'apps/e2e/test/storefront.spec.ts',
      'apps/e2e/test/round-trips.spec.ts',
      'apps/e2e/test/lost-updates.spec.ts',
    ],
  ],
];

let failed = 0;
for (const topology of ['cluster', 'sentinel']) {
  for (const [command, args] of suites) {
    process.stdout.write(`\n[topologies] ${topology}: ${command} ${args.join(' ')}\n`);
    const started = Date.now();
    const { status } = spawnSync(command, args, {
      stdio: 'inherit',
      env: { ...process.env, STOREFRONT_TEST_TOPOLOGY: topology },
    });
    process.stdout.write(
      `[topologies] ${topology}: ${status === 0 ? 'passed' : 'FAILED'} in ` +
        `${Math.round((Date.now() - started) / 1000)} s\n`,
    );
    if (status !== 0) failed++;
  }
}
process.exit(failed === 0 ? 0 : 1);
