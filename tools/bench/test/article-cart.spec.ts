// The article's approach, the bench's baseline, as it behaves: two round trips per add (GET, then SET
// of the whole JSON cart), and concurrent adds for one shopper that overwrite each other. The
// storefront's own add loses none under the same load (apps/e2e/test/lost-updates.spec.ts).
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Redis } from 'ioredis';
import { commandsSentDuring, freshShopper, testRedisUrl } from '@storefront/test-kit';
import { createArticleCart } from '../src/baselines/article-cart';
import { articleCartKey, type ArticleCartLine } from '../src/baselines/article-keys';

const ADDS = 90;
let redis: Redis;
let server: Server;
let url: string;

beforeAll(async () => {
  redis = new Redis(testRedisUrl());
  await redis.ping(); // connected before any command is counted
  server = createArticleCart(redis).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await redis.quit();
});

const add = (shopper: string) =>
  fetch(`${url}/Cart/Item`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-user-token': shopper },
    body: JSON.stringify({ id: 'badger-mug', quantity: 1 }),
  });

async function storedQuantity(shopper: string): Promise<number> {
  const cart = JSON.parse((await redis.get(articleCartKey(shopper))) ?? '[]') as ArticleCartLine[];
  return cart.find((line) => line.id === 'badger-mug')?.quantity ?? 0;
}

it('sends two commands per add: GET the cart, SET it back', async () => {
  const shopper = freshShopper();
  const commands = await commandsSentDuring(async () => {
    for (let i = 0; i < 10; i++) expect((await add(shopper)).status).toBe(201);
  });
  expect(commands.map((command) => command.name)).toEqual(Array(10).fill(['get', 'set']).flat());
  expect(await storedQuantity(shopper)).toBe(10);
  await redis.del(articleCartKey(shopper));
});

it(`loses concurrent adds: ${ADDS} acknowledged at once, fewer stored`, async () => {
  const shopper = freshShopper();
  const answers = await Promise.all(Array.from({ length: ADDS }, () => add(shopper)));
  expect(answers.map((answer) => answer.status)).toEqual(Array(ADDS).fill(201));
  const stored = await storedQuantity(shopper);
  expect(stored).toBeGreaterThan(0);
  expect(stored).toBeLessThan(ADDS);
  await redis.del(articleCartKey(shopper));
});
