// The bench's scenarios, each against a fresh data set: what to lay out in Redis (or through the API)
// before the run, and the requests of the run. The add-to-cart scenarios straight to a server (bare
// Express, the article's approach bare and in the service shell, inventory) send the very same
// requests: a fresh signed hand-off and the article's x-user-token, the same bodies, the same shopper
// and item sequence, so their figures differ by the server alone.
import { listItems } from '@storefront/catalog';
import { IDENTITY_HEADER } from '@storefront/service-kit';
import { callJson, inPool, type LoadRequest } from '@storefront/test-kit';
import { articleCartKey, type ArticleCartLine } from './baselines/article-keys';
import type { BenchContext } from './context';

const CATALOG_IDS = listItems().map((item) => item.id);
const HOT_ITEM = 'badger-mug';

export type Phase = 'warm-up' | 'measured';

export interface PreparedLoad {
  url: string;
  nextRequest: () => LoadRequest;
  /** The status that counts as success; any other is an error in the figures. */
  expectedStatus: number;
  /** The quantity Redis holds afterwards (hot-shopper scenarios): acknowledged adds beyond it were lost. */
  storedQuantity?: () => Promise<number>;
}

export interface Scenario {
  id: string;
  title: string;
  group: 'baseline' | 'storefront';
  /** An add-to-cart scenario of the ratio targets: runs in every round, next to the others of its kind. */
  comparison?: boolean;
  /** Runs at half the rate this scenario reached in the same round: the latency of a server not at its limit. */
  halfRateOf?: string;
  /** Runs for the settings' soak time instead (first round only), watching memory after it settles. */
  soak?: boolean;
  /** Warm-up requests and most requests per run, when each needs a costly data set (checkout). */
  warmUpRequests?: number;
  maxRequests?: number;
  /** Lays out a fresh data set for `requests` requests; warm-up and measured runs use different shoppers. */
  prepare(ctx: BenchContext, phase: Phase, requests: number): Promise<PreparedLoad>;
}

const shopperIds = (phase: Phase, count: number) =>
  Array.from({ length: count }, (_, i) => `shopper-${phase === 'warm-up' ? 'w' : 'm'}-${i}`);
const shoppersFor = (ctx: BenchContext, phase: Phase) =>
  shopperIds(phase, phase === 'warm-up' ? 100 : ctx.settings.shoppers);
const json = { 'content-type': 'application/json' };
const addBody = (item: string) => JSON.stringify({ id: item, quantity: 1 });

/** Request i of a run is `request(i)`. */
const sequence = (url: string, expectedStatus: number, request: (i: number) => LoadRequest): PreparedLoad => {
  let sent = 0;
  return { url, expectedStatus, nextRequest: () => request(sent++) };
};

/** A request straight to a service, with the hand-off the gateway would sign for it alone. */
function direct(ctx: BenchContext, shopper: string, method: LoadRequest['method'], path: string, body?: string) {
  const identity = { [IDENTITY_HEADER]: ctx.handoff.sign(shopper, { method, url: path }), 'x-user-token': shopper };
  return { method, path, headers: body ? { ...json, ...identity } : identity, body };
}

/** Shopper i % n adds the next catalog item in turn: carts grow line by line, the same in every scenario. */
const nextItem = (i: number, shoppers: number) => CATALOG_IDS[Math.floor(i / shoppers) % CATALOG_IDS.length];

type Server = keyof BenchContext['services'];

function adding(id: string, title: string, group: Scenario['group'], server: Server): Scenario {
  return {
    id,
    title,
    group,
    comparison: true,
    async prepare(ctx, phase) {
      const shoppers = shoppersFor(ctx, phase);
      return sequence(ctx.services[server].url, 201, (i) =>
        direct(ctx, shoppers[i % shoppers.length], 'POST', '/Cart/Item', addBody(nextItem(i, shoppers.length))),
      );
    },
  };
}

async function newSessions(gatewayUrl: string, count: number): Promise<string[]> {
  return inPool(Array.from({ length: count }), 32, async () => {
    const answer = await callJson<{ token: string }>(gatewayUrl, 'POST', '/session');
    if (answer.status !== 201 || !answer.body?.token) throw new Error(`POST /session answered ${answer.status}`);
    return answer.body.token;
  });
}

/** Lines of a cart of `size`: catalog items first, then made-up ids of the same shape (the catalog holds 14). */
export function cartOf(size: number): ArticleCartLine[] {
  return Array.from({ length: size }, (_, i) => ({
    id: i < CATALOG_IDS.length ? CATALOG_IDS[i] : `badger-extra-${String(i).padStart(2, '0')}`,
    quantity: (i % 3) + 1,
  }));
}

/** Fills each shopper's cart through the cart library: the same script and keys the services use. */
export async function seedCarts(ctx: BenchContext, shoppers: string[], lines: ArticleCartLine[]): Promise<void> {
  await inPool(shoppers, 64, (shopper) =>
    Promise.all(lines.map((line) => ctx.carts.add(shopper, line.id, line.quantity))),
  );
}

// Reads change nothing (but the expiry): 200 shoppers are as good as 1,000, and laying out 50-line
// carts (one script call per line) is what this saves.
const cartRead = (lines: number): Scenario => ({
  id: `inventory-read-${lines}`,
  title: `GET /Cart, ${lines}-line carts, 200 shoppers, straight to inventory`,
  group: 'storefront',
  async prepare(ctx) {
    const shoppers = shopperIds('measured', 200);
    await seedCarts(ctx, shoppers, cartOf(lines));
    return sequence(ctx.services.inventory.url, 200, (i) => direct(ctx, shoppers[i % shoppers.length], 'GET', '/Cart'));
  },
});

/** One shopper, every connection adding one unit of the same item at once. */
const hotShopper = (
  id: string,
  title: string,
  group: Scenario['group'],
  server: Server,
  stored: (ctx: BenchContext, shopper: string) => Promise<number>,
): Scenario => ({
  id,
  title,
  group,
  async prepare(ctx, phase) {
    const shopper = `hot-shopper-${phase}`;
    const load = sequence(ctx.services[server].url, 201, () =>
      direct(ctx, shopper, 'POST', '/Cart/Item', addBody(HOT_ITEM)),
    );
    return { ...load, storedQuantity: () => stored(ctx, shopper) };
  },
});

const inventoryAdding = adding('inventory-add', 'Add to cart straight to inventory', 'storefront', 'inventory');
const gatewayAdding: Scenario = {
  id: 'gateway-add',
  title: 'Add to cart through the gateway',
  group: 'storefront',
  comparison: true,
  async prepare(ctx, phase) {
    const tokens = await newSessions(ctx.services.gateway.url, shoppersFor(ctx, phase).length);
    return sequence(ctx.services.gateway.url, 201, (i) => ({
      method: 'POST',
      path: '/Cart/Item',
      headers: { ...json, authorization: `Bearer ${tokens[i % tokens.length]}` },
      body: addBody(nextItem(i, tokens.length)),
    }));
  },
};
const atHalfRate = (scenario: Scenario): Scenario => ({
  ...scenario,
  id: `${scenario.id}-half-rate`,
  title: `${scenario.title}, at half its rate`,
  comparison: false,
  // The full-rate run just before warmed the server up.
  warmUpRequests: 100,
  halfRateOf: scenario.id,
});

export function scenarios(): Scenario[] {
  return [
    adding('express-bare', 'Bare Express 5 route: parse JSON, answer JSON (ceiling)', 'baseline', 'bare'),
    adding('article-add', "Article's approach: add, GET + SET of the JSON cart", 'baseline', 'article'),
    adding('article-shell-add', "Article's approach in the storefront's service shell", 'baseline', 'articleShell'),
    inventoryAdding,
    gatewayAdding,
    atHalfRate(inventoryAdding),
    atHalfRate(gatewayAdding),
    {
      ...atHalfRate(gatewayAdding),
      id: 'gateway-add-soak',
      title: 'Add to cart through the gateway, at half its rate, soak (2 min in a full run)',
      soak: true,
    },
    ...[1, 10, 50].map(cartRead),
    hotShopper(
      'inventory-hot',
      'One hot shopper, 50 connections adding, straight to inventory',
      'storefront',
      'inventory',
      async (ctx, shopper) => (await ctx.carts.read(shopper)).find((line) => line.id === HOT_ITEM)?.quantity ?? 0,
    ),
    hotShopper(
      'article-hot',
      "One hot shopper, 50 connections adding, article's approach",
      'baseline',
      'article',
      async (ctx, shopper) => {
        const cart = JSON.parse((await ctx.control.get(articleCartKey(shopper))) ?? '[]') as ArticleCartLine[];
        return cart.find((line) => line.id === HOT_ITEM)?.quantity ?? 0;
      },
    ),
    {
      id: 'gateway-checkout',
      title: 'Checkout through the gateway, 3-line carts',
      group: 'storefront',
      // Each checkout needs a session and a cart made through the gateway (4 requests): bounded.
      warmUpRequests: 150,
      maxRequests: 1_500,
      async prepare(ctx, phase, requests) {
        const gateway = ctx.services.gateway.url;
        const tokens = await newSessions(gateway, requests);
        await inPool(tokens, 32, async (token) => {
          for (const id of CATALOG_IDS.slice(0, 3)) {
            const answer = await callJson(gateway, 'POST', '/Cart/Item', { token, body: { id, quantity: 1 } });
            if (answer.status !== 201) throw new Error(`seeding a checkout cart: answered ${answer.status}`);
          }
        });
        // One checkout per shopper: a second would find the cart empty.
        return sequence(gateway, 200, (i) => ({
          method: 'PATCH',
          path: '/Cart/checkout',
          headers: {
            ...json,
            authorization: `Bearer ${tokens[i % tokens.length]}`,
            'idempotency-key': `bench-${phase}-${i}`,
          },
          body: JSON.stringify({ payment: { token: 'tok_visa' } }),
        }));
      },
    },
  ];
}
