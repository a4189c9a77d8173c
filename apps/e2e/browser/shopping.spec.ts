// The storefront page in a real headless Chromium, against the built services as processes on a real
// Redis: browsing, the cart, a declined and an accepted checkout, two tabs, a double click, a phone.
import type { Browser, BrowserContext } from 'playwright-core';
import type { Redis } from 'ioredis';
import { TEST_SECRET, connectTestRedis, testRedisEnv, uniquePrefix } from '@storefront/test-kit';
import { call, type Body } from '../support/http';
import { startStorefrontProcesses, type StorefrontProcesses } from '../support/storefront-processes';
import { expectText, expectValue, launchChromium, screenshot, sessionTokenOf, watchPageProblems } from './chromium';
import { storefrontPage } from './storefront-page';

let browser: Browser;
let store: StorefrontProcesses;
let redis: Redis;
let prefix: string;
let catalog: NonNullable<Body['items']>;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  prefix = uniquePrefix('browser');
  store = await startStorefrontProcesses({ redisEnv: testRedisEnv(), secret: TEST_SECRET, prefix });
  redis = connectTestRedis();
  browser = await launchChromium();
  catalog = (await call(store.gateway.url, 'GET', '/Items')).body?.items ?? [];
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await store?.stop();
  await redis?.quit();
});
afterEach(async () => {
  await Promise.all(contexts.splice(0).map((context) => context.close()));
});

/** A new shopper: a browser context of its own (its own cookies), at a laptop's width unless told. */
async function openStore(viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ viewport });
  contexts.push(context);
  const page = await context.newPage();
  const problems = watchPageProblems(page);
  await page.goto(store.gateway.url);
  const shop = storefrontPage(page);
  await shop.catalogItem(catalog[0].name).waitFor();
  await expectText(shop.cartCount, '0 items');
  return { context, page, shop, problems };
}

/** The shopper's cart as the API has it, by the session the browser holds. */
async function cartInStore(context: BrowserContext): Promise<Record<string, number>> {
  const answer = await call(store.gateway.url, 'GET', '/Cart', { token: await sessionTokenOf(context) });
  expect(answer.status).toBe(200);
  return Object.fromEntries((answer.body?.cart ?? []).map((line) => [line.id, line.quantity]));
}

// An oracle independent of the page's Intl formatting: the catalog is in US dollars, under $1,000.
const dollars = (cents: number) => `$${(cents / 100).toFixed(2)}`;
const item = (id: string) => {
  const found = catalog.find((entry) => entry.id === id);
  if (found === undefined) throw new Error(`no ${id} in the catalog`);
  return found;
};

it('shows every item of the catalog with its name, price and an Add to cart button with a quantity', async () => {
  const { shop, problems } = await openStore();
  expect(catalog.length).toBeGreaterThanOrEqual(12);
  for (const entry of catalog) {
    expect(entry.currency).toBe('USD');
    const card = shop.catalogItem(entry.name);
    await expectText(card.locator('.price'), dollars(entry.price));
    expect(await card.getByRole('button', { name: 'Add to cart' }).count()).toBe(1);
    expect(await card.getByLabel('Quantity').inputValue()).toBe('1');
  }
  await screenshot(shop.page, 'catalog');
  expect(problems()).toEqual([]);
});

it('adds two items, changes a quantity and removes a line, with totals from catalog prices', async () => {
  const { context, shop, problems } = await openStore();
  const mug = item('badger-mug');
  const tee = item('badger-tee');

  await shop.add(mug.name, 2);
  await expectText(shop.cartCount, '2 items');
  await shop.add(tee.name);
  await expectText(shop.cartCount, '3 items');
  await expectText(shop.cartLine(mug.name).locator('.unit-price'), `${dollars(mug.price)} each`);
  await expectText(shop.cartLine(mug.name).locator('.line-total'), dollars(2 * mug.price));
  await expectText(shop.cartTotal, dollars(2 * mug.price + tee.price));
  expect(await cartInStore(context)).toEqual({ [mug.id]: 2, [tee.id]: 1 });

  await shop.setQuantity(tee.name, 3);
  await expectText(shop.cartCount, '5 items');
  await expectText(shop.cartLine(tee.name).locator('.line-total'), dollars(3 * tee.price));
  await expectText(shop.cartTotal, dollars(2 * mug.price + 3 * tee.price));
  await expectText(shop.cartSummary, 'Cart: 5 items');
  expect(await cartInStore(context)).toEqual({ [mug.id]: 2, [tee.id]: 3 });
  await screenshot(shop.page, 'cart');

  await shop.remove(mug.name);
  await expectText(shop.cartCount, '3 items');
  expect(await shop.cartLines.count()).toBe(1);
  await expectText(shop.cartTotal, dollars(3 * tee.price));
  expect(await cartInStore(context)).toEqual({ [tee.id]: 3 });
  expect(problems()).toEqual([]);
});

it('says so when a line is at its limit, and leaves the cart as it was', async () => {
  const { context, shop } = await openStore();
  const socks = item('badger-socks');
  await shop.add(socks.name, 99);
  await expectText(shop.cartCount, '99 items');
  await shop.add(socks.name, 1);
  await expectText(shop.alert, /at most 99 of one item.*Your cart was not changed\./);
  // The alert already says so from the add above: wait for this change's own answer, then for the
  // page to put the line's quantity back.
  const refused = shop.page.waitForResponse((answer) => answer.request().method() === 'PUT');
  await shop.setQuantity(socks.name, 100);
  expect((await refused).status()).toBe(422);
  await expectText(shop.alert, /at most 99 of one item.*Your cart was not changed\./);
  await expectValue(shop.page.getByLabel(`Quantity of ${socks.name}`), '99');
  await expectText(shop.cartCount, '99 items');
  expect(await cartInStore(context)).toEqual({ [socks.id]: 99 });
});

it('keeps the cart after a declined payment, then places the order with tok_visa and empties the cart', async () => {
  const { context, page, shop, problems } = await openStore();
  const plush = item('badger-plush');
  const pin = item('badger-enamel-pin');
  await shop.add(plush.name);
  await shop.add(pin.name, 2);
  await expectText(shop.cartCount, '3 items');

  await shop.checkOut('tok_declined');
  await expectText(shop.alert, /payment was declined.*Your cart is kept/);
  await expectText(shop.cartCount, '3 items');
  expect(await cartInStore(context)).toEqual({ [plush.id]: 1, [pin.id]: 2 });

  await shop.checkOut('tok_visa');
  await shop.confirmation.waitFor();
  const orderId = (await shop.orderId.innerText()).trim();
  expect(orderId.length).toBeGreaterThan(0);
  await expectText(shop.confirmation.locator('#order-total'), dollars(plush.price + 2 * pin.price));
  const lines = await shop.confirmation.getByRole('listitem').allInnerTexts();
  expect(lines.sort()).toEqual(
    [
      `1 × ${plush.name} at ${dollars(plush.price)}: ${dollars(plush.price)}`,
      `2 × ${pin.name} at ${dollars(pin.price)}: ${dollars(2 * pin.price)}`,
    ].sort(),
  );
  await expectText(shop.cartSummary, 'Cart: 0 items');
  await screenshot(page, 'confirmation');
  expect(await cartInStore(context)).toEqual({});

  await page.getByRole('button', { name: 'Back to the catalog' }).click();
  await shop.catalogItem(plush.name).waitFor();
  await expectText(shop.cartCount, '0 items');
  expect(await shop.cartLines.count()).toBe(0);
  expect(problems()).toEqual([]);
});

it('shows one cart in two tabs of one session', async () => {
  const { context, shop } = await openStore();
  const second = await context.newPage();
  await second.goto(store.gateway.url);
  const other = storefrontPage(second);
  await expectText(other.cartCount, '0 items');

  await shop.add(item('badger-tote').name, 2);
  await expectText(other.cartCount, '2 items');
  await other.remove(item('badger-tote').name);
  await expectText(shop.cartCount, '0 items');
  await other.add(item('badger-wallet').name);
  await expectText(shop.cartCount, '1 item');
  expect(await cartInStore(context)).toEqual({ 'badger-wallet': 1 });
});

it('places one order for a double click on Check out', async () => {
  const { context, page, shop } = await openStore();
  await shop.add(item('badger-mug').name);
  await expectText(shop.cartCount, '1 item');
  const idempotencyKeys: string[] = [];
  page.on('request', (request) => {
    if (request.method() === 'PATCH') idempotencyKeys.push(request.headers()['idempotency-key'] ?? '(none)');
  });
  const recordsBefore = await redis.keys(`${prefix}idem:*`);

  await shop.paymentToken.fill('tok_visa');
  await shop.checkOutButton.dblclick();
  await shop.confirmation.waitFor();
  const orderId = (await shop.orderId.innerText()).trim();

  // Every checkout request carried the one key; the server kept one answer, for the one order shown.
  expect(idempotencyKeys.length).toBeGreaterThanOrEqual(1);
  expect(new Set(idempotencyKeys).size).toBe(1);
  const before = new Set(recordsBefore);
  const records = (await redis.keys(`${prefix}idem:*`)).filter((key) => !before.has(key));
  expect(records).toHaveLength(1);
  expect(await redis.hmget(records[0], 'state', 'status')).toEqual(['done', '200']);
  expect(await redis.hget(records[0], 'body')).toContain(orderId);
  expect(await cartInStore(context)).toEqual({});
});

it('places one order when the answer to Check out is lost: the page retries with the same key', async () => {
  const { context, page, shop } = await openStore();
  await shop.add(item('badger-night-light').name);
  await expectText(shop.cartCount, '1 item');
  const sent: { key: string; replayed: string | undefined }[] = [];
  // The first checkout reaches the store and is placed, but its answer never reaches the page.
  await page.route('**/Cart/checkout', async (route) => {
    const answer = await route.fetch();
    sent.push({ key: route.request().headers()['idempotency-key'], replayed: answer.headers()['idempotent-replayed'] });
    if (sent.length === 1) await route.abort('connectionreset');
    else await route.fulfill({ response: answer });
  });
  const recordsBefore = new Set(await redis.keys(`${prefix}idem:*`));

  await shop.checkOut('tok_visa');
  await shop.confirmation.waitFor({ timeout: 15_000 });
  const orderId = (await shop.orderId.innerText()).trim();
  expect(sent).toEqual([
    { key: sent[0].key, replayed: undefined },
    { key: sent[0].key, replayed: 'true' },
  ]);
  const records = (await redis.keys(`${prefix}idem:*`)).filter((key) => !recordsBefore.has(key));
  expect(records).toHaveLength(1);
  expect(await redis.hget(records[0], 'body')).toContain(orderId);
  expect(await cartInStore(context)).toEqual({});
});

it('can be used with the keyboard alone', async () => {
  const { context, page, shop } = await openStore();
  const guide = item('badger-field-guide');
  await shop.catalogItem(guide.name).getByLabel('Quantity').focus();
  await page.keyboard.press('Control+A');
  await page.keyboard.type('2');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await expectText(shop.cartCount, '2 items');
  expect(await cartInStore(context)).toEqual({ [guide.id]: 2 });

  await shop.paymentToken.focus();
  await page.keyboard.type('tok_visa');
  await page.keyboard.press('Enter');
  await shop.confirmation.waitFor();
  // Expressions as text: they run in the page, and this project's TypeScript has no DOM.
  expect(await page.evaluate('document.activeElement.id')).toBe('confirmation');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await shop.catalogItem(guide.name).waitFor();
});

it('fits a phone: no sideways scrolling, the cart count always in view', async () => {
  const { page, shop, problems } = await openStore({ width: 375, height: 740 });
  await shop.add(item('badger-hoodie').name);
  await expectText(shop.cartSummary, 'Cart: 1 item');
  await page.mouse.wheel(0, 5_000);
  expect(await shop.cartSummary.isVisible()).toBe(true);
  const box = await shop.cartSummary.boundingBox();
  expect(box !== null && box.y >= 0 && box.y < 100).toBe(true);
  expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
  await shop.cart.scrollIntoViewIfNeeded();
  await screenshot(page, 'phone', false);
  expect(problems()).toEqual([]);
});
