// The gateway's metrics, read from its own METRICS_PORT after known traffic; none on the public port.
import { TEST_SECRET, freePort, scrapeMetrics, testRedisEnv, uniquePrefix } from '@storefront/test-kit';
import type { RunningService } from '@storefront/service-kit';
import { readGatewayConfig } from '../src/config';
import { startGateway } from '../src/server';

let gateway: RunningService;
let base: string;
let metricsUrl: string;

beforeAll(async () => {
  const nobody = `http://127.0.0.1:${await freePort()}`; // no service: forwarded requests are 503
  gateway = await startGateway(
    readGatewayConfig({
      ...testRedisEnv(),
      GATEWAY_SECRET: TEST_SECRET,
      REDIS_KEY_PREFIX: uniquePrefix('gateway-metrics'),
      LOG_LEVEL: 'silent',
      PORT: '0',
      METRICS_PORT: String(await freePort()),
      INVENTORY_URL: nobody,
      CHECKOUT_URL: nobody,
    }),
  );
  base = `http://127.0.0.1:${gateway.port}`;
  metricsUrl = `http://127.0.0.1:${gateway.metricsPort}/metrics`;
});
afterAll(async () => {
  await gateway.stop();
});

it('counts sessions, forwarded requests by their mount, and the public /metrics as an unmatched 404', async () => {
  const before = await scrapeMetrics(metricsUrl);
  const statuses: number[] = [];
  for (const [method, path] of [
    ['POST', '/session'],
    ['POST', '/session'],
    ['GET', '/Items/badger-plush'],
    ['GET', '/metrics'],
  ]) {
    const res = await fetch(`${base}${path}`, { method });
    await res.arrayBuffer();
    statuses.push(res.status);
  }
  expect(statuses).toEqual([201, 201, 503, 404]);
  const after = await scrapeMetrics(metricsUrl);
  const moved = (labels: Record<string, string>) =>
    after.value('http_request_duration_seconds_count', labels) -
    before.value('http_request_duration_seconds_count', labels);
  expect(moved({ method: 'POST', route: '/session', status: '201' })).toBe(2);
  expect(moved({ method: 'GET', route: '/Items', status: '503' })).toBe(1);
  expect(moved({ method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
  expect(after.text).not.toContain('badger-plush');
  expect(after.value('storefront_redis_ready')).toBe(1);
});
