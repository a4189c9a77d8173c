import express, { Router } from 'express';
import request from 'supertest';
import { parseMetrics } from '@storefront/test-kit';
import { createServiceMetrics, routeLabel } from './service-metrics';

/** A small app whose requests are observed as createServiceApp observes them: once the answer is out. */
function appObservedBy(observe: ReturnType<ReturnType<typeof createServiceMetrics>['requestObserver']>) {
  const app = express();
  app.use((req, res, next) => {
    res.on('finish', () => observe(req, res, 0.003));
    next();
  });
  const router = Router();
  router
    .route('/Cart/Item/:id')
    .put((_req, res) => void res.json({}))
    .all((_req, res) => void res.status(405).end());
  app.use(router);
  app.use('/Cart', routeLabel('/Cart'), (_req, res) => void res.status(401).end());
  app.use((_req, res) => void res.status(404).end());
  return app;
}

describe('the request duration metric', () => {
  it('labels a request by its route pattern, never by the path it was sent to', async () => {
    const metrics = createServiceMetrics();
    const app = appObservedBy(metrics.requestObserver());
    await request(app).put('/Cart/Item/badger-plush');
    await request(app).put('/cart/item/badger-mug'); // Express matches case-insensitively
    await request(app).delete('/Cart/Item/badger-plush');
    await request(app).get('/Cart/anything'); // a mount, named by routeLabel
    await request(app).get('/no/such/path');
    const scraped = parseMetrics(await metrics.render());
    const count = (method: string, route: string, status: string) =>
      scraped.value('http_request_duration_seconds_count', { method, route, status });
    expect(count('PUT', '/Cart/Item/:id', '200')).toBe(2);
    expect(count('DELETE', '/Cart/Item/:id', '405')).toBe(1);
    expect(count('GET', '/Cart', '401')).toBe(1);
    expect(count('GET', 'unmatched', '404')).toBe(1);
    expect(scraped.text).not.toMatch(/badger|anything|no\/such/);
    expect(
      scraped.value('http_request_duration_seconds_bucket', {
        method: 'GET',
        route: 'unmatched',
        status: '404',
        le: '0.0025',
      }),
    ).toBe(0);
    expect(
      scraped.value('http_request_duration_seconds_bucket', {
        method: 'GET',
        route: 'unmatched',
        status: '404',
        le: '0.005',
      }),
    ).toBe(1);
  });
});

describe('the service metrics', () => {
  it('start every cart operation and checkout outcome at 0, and count each exactly', async () => {
    const metrics = createServiceMetrics();
    const cart = metrics.cartOperationObserver();
    const checkout = metrics.checkoutObserver();
    cart('add', 'ok');
    cart('add', 'ok');
    cart('add', 'limit');
    checkout('declined');
    const scraped = parseMetrics(await metrics.render());
    expect(scraped.value('storefront_cart_operations_total', { operation: 'add', outcome: 'ok' })).toBe(2);
    expect(scraped.value('storefront_cart_operations_total', { operation: 'add', outcome: 'limit' })).toBe(1);
    expect(scraped.text).toContain('storefront_cart_operations_total{operation="remove",outcome="unavailable"} 0');
    expect(scraped.value('storefront_checkouts_total', { outcome: 'declined' })).toBe(1);
    expect(scraped.text).toContain('storefront_checkouts_total{outcome="placed"} 0');
  });

  it('time Redis commands and count the failed ones', async () => {
    const metrics = createServiceMetrics();
    const observe = metrics.redisCommandObserver();
    observe('evalsha', 0.0007, false);
    observe('evalsha', 0.5, true);
    const scraped = parseMetrics(await metrics.render());
    expect(scraped.value('storefront_redis_command_duration_seconds_count', { command: 'evalsha' })).toBe(2);
    expect(scraped.value('storefront_redis_command_duration_seconds_bucket', { command: 'evalsha', le: '0.001' })).toBe(
      1,
    );
    expect(scraped.value('storefront_redis_command_errors_total', { command: 'evalsha' })).toBe(1);
  });

  it('report Redis readiness as the check says at each scrape', async () => {
    const metrics = createServiceMetrics();
    let ready = true;
    metrics.watchRedisReadiness(async () => {
      if (!ready) throw new Error('no Redis');
    });
    expect(parseMetrics(await metrics.render()).value('storefront_redis_ready')).toBe(1);
    ready = false;
    expect(parseMetrics(await metrics.render()).value('storefront_redis_ready')).toBe(0);
  });

  it('include the process metrics, and refuse to register a family twice', async () => {
    const metrics = createServiceMetrics();
    metrics.checkoutObserver();
    expect(() => metrics.checkoutObserver()).toThrow(/storefront_checkouts_total is registered already/);
    const text = await metrics.render();
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect(text.endsWith('\n')).toBe(true);
  });
});
