// The storefront page while its Redis is down: the shopper reads "try again in a moment" with the
// Retry-After the store sent, the cart is not lost, and the page comes back by itself once Redis does.
import type { Browser } from 'playwright-core';
import { TEST_SECRET, startControllableRedis, uniquePrefix, type RedisProcess } from '@storefront/test-kit';
import { startStorefrontProcesses, type StorefrontProcesses } from '../support/storefront-processes';
import { expectText, launchChromium, screenshot, watchPageProblems } from './chromium';
import { storefrontPage } from './storefront-page';

let redis: RedisProcess;
let store: StorefrontProcesses;
let browser: Browser;

beforeAll(async () => {
  // fsync on every write, so the cart acknowledged before the kill is there after the restart.
  redis = await startControllableRedis(['--appendonly', 'yes', '--appendfsync', 'always']);
  // In production mode, as the images run: the session cookie is Secure, which a browser keeps from
  // plain http on a loopback address such as 127.0.0.1 (a trustworthy origin).
  store = await startStorefrontProcesses({
    redisUrl: redis.url,
    secret: TEST_SECRET,
    prefix: uniquePrefix('page'),
    env: { NODE_ENV: 'production' },
  });
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await store?.stop();
  await redis?.stop();
});

it('says to try again in a moment, with the Retry-After, and recovers by itself when Redis is back', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems = watchPageProblems(page);
  await page.goto(store.gateway.url);
  const shop = storefrontPage(page);
  await shop.add('Badger Face Coffee Mug', 2);
  await expectText(shop.cartCount, '2 items');

  await redis.kill();
  const refused = page.waitForResponse((response) => response.url().endsWith('/Cart/Item'));
  await shop.add('Badger Enamel Pin');
  const answer = await refused;
  expect(answer.status()).toBe(503);
  const retryAfter = Number(await answer.headerValue('Retry-After'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  const wait = retryAfter === 1 ? 'in about a second' : `in about ${retryAfter} seconds`;
  await expectText(
    shop.alert,
    `That did not go through: the store is briefly unavailable. Please try again in a moment (${wait}).`,
  );
  await expectText(shop.cartCount, '2 items');
  await screenshot(page, 'redis-down', false);

  // The page keeps asking, after each Retry-After; it says so once the store answers again.
  await redis.start();
  await expectText(shop.status, 'The store is back: you can carry on.', 15_000);
  expect(await shop.alert.count()).toBe(0);
  await expectText(shop.cartCount, '2 items');
  await shop.add('Badger Enamel Pin');
  await expectText(shop.cartCount, '3 items');

  // A first visit while Redis is down: the catalog shows (it needs no Redis), the cart says why not.
  await redis.kill();
  const newcomer = storefrontPage(await (await browser.newContext()).newPage());
  await newcomer.page.goto(store.gateway.url);
  await newcomer.catalogItem('Badger Face Coffee Mug').waitFor();
  await expectText(newcomer.alert, /^Your cart could not be loaded: .*try again in a moment/);
  await redis.start();
  await expectText(newcomer.status, 'The store is back: you can carry on.', 15_000);
  await expectText(newcomer.cartCount, '0 items');
  expect(problems()).toEqual([]);
  await newcomer.page.context().close();
  await context.close();
});
