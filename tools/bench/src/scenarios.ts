// The bench's scenarios, each against a fresh data set: what to lay out in Redis (or through the
// API) before the run, the requests of the run, and what to count afterwards.
//
// The add-to-cart scenarios (bare Express, the article's approach bare and in the service shell,
// inventory, the gateway) send the very same requests: the same headers (a fresh signed hand-off, the
// article's x-user-token), the same bodies, the same shopper and item sequence, so their figures
// differ by the server alone.
import { listItems } from '@storefront/catalog';
import { IDENTITY_HEADER } from '@storefront/service-kit';
import { articleCartKey, type ArticleCartLine } from './baselines/article-keys';
import type { BenchContext } from './context';
import { inPool, request } from './http-client';
import type { LoadRequest, LoadResult } from './load';

export const CATALOG_IDS = listItems().map((item) => item.id);
export const HOT_ITEM = 'badger-mug';
export const PAYMENT = JSON.stringify({ payment: { token: 'tok_visa' } });

export type Phase = 'warm-up' | 'measured';

export interface LostUpdates {
  /** 2xx answers: each added one unit. */
  expected: number;
  /** The quantity Redis holds afterwards. */
  stored: number;
  /** Acknowledged adds missing from Redis. */
  lost: number;
  /**
   * Units in Redis beyond the acknowledged adds: requests answered 503 on a timeout whose command
   * still ran (docs/DECISIONS.md, "Redis down or slow"). Not a lost update; at most the failed requests.
   */
  appliedUnacknowledged: number;
  /** Requests that got another answer or none: the most `appliedUnacknowledged` can be. */
  unacknowledged: number;
}

export interface PreparedLoad {
  url: string;
  nextRequest: () => LoadRequest;
  /** Statuses that count as success; anything else is an error in the figures. */
  expectedStatuses: number[];
  /** Counts lost updates once the run is over (hot-shopper scenarios), `sent` requests having been made. */
  countLostUpdates?: (load: LoadResult, sent: number) => Promise<LostUpdates>;
}

export interface Scenario {
  id: string;
  title: string;
  /** Baselines are there to be compared with; the storefront's own figures carry the targets. */
  group: 'baseline' | 'storefront';
  /**
   * One of the add-to-cart scenarios whose throughput ratios are targets: they run in every round,
   * next to each other, so that each ratio compares runs made seconds apart.
   */
  comparison?: boolean;
  /** Warm-up requests, when the data set makes the default too dear (checkout: one session each). */
  warmUpRequests?: number;
  /** Most requests in a measured run, when each needs a costly data set. */
  maxRequests?: number;
  /**
   * The warm-up runs on the measured data set itself: reads change nothing that matters (the expiry
   * slides), and laying out 50-line carts twice would cost more than the run.
   */
  warmUpOnMeasuredData?: boolean;
  /** Lays out a fresh data set for `requests` requests. Warm-up and measured runs use different shoppers. */
  prepare(ctx: BenchContext, phase: Phase, requests: number): Promise<PreparedLoad>;
}

/** Shopper ids as the gateway hands them to the services: URL-safe, here readable. */
export const shopperIds = (phase: Phase, count: number) =>
  Array.from({ length: count }, (_, i) => `shopper-${phase === 'warm-up' ? 'w' : 'm'}-${i}`);

export function jsonHeaders(extra: Record<string, string>): Record<string, string> {
  return { 'content-type': 'application/json', ...extra };
}

/**
 * An add request as every add-to-cart scenario sends it: straight to a service it needs a fresh,
 * single-use hand-off signed for this method and path; the baselines ignore it and the article's
 * approach reads x-user-token.
 */
export function directAdd(ctx: BenchContext, shopper: string, item: string): LoadRequest {
  return {
    method: 'POST',
    path: '/Cart/Item',
    headers: jsonHeaders({
      [IDENTITY_HEADER]: ctx.handoff.sign(shopper, { method: 'POST', url: '/Cart/Item' }),
      'x-user-token': shopper,
    }),
    body: JSON.stringify({ id: item, quantity: 1 }),
  };
}

/**
 * Shopper i % n adds the next catalog item in turn, so every cart grows line by line as in a real
 * shopping session, and all shoppers see the same sequence in every scenario.
 */
function manyShoppersAdding(
  ctx: BenchContext,
  url: string,
  shoppers: string[],
  toRequest: (shopper: string, item: string) => LoadRequest,
): PreparedLoad {
  let sent = 0;
  return {
    url,
    expectedStatuses: [201],
    nextRequest: () => {
      const i = sent++;
      const shopper = shoppers[i % shoppers.length];
      const item = CATALOG_IDS[Math.floor(i / shoppers.length) % CATALOG_IDS.length];
      return toRequest(shopper, item);
    },
  };
}

export async function newSessions(gatewayUrl: string, count: number): Promise<string[]> {
  return inPool(Array.from({ length: count }), 32, async () => {
    const answer = await request(gatewayUrl, 'POST', '/session');
    const token = (answer.body as { token?: string } | undefined)?.token;
    if (answer.status !== 201 || !token) throw new Error(`POST /session answered ${answer.status}`);
    return token;
  });
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export function gatewayAdd(token: string, item: string): LoadRequest {
  return {
    method: 'POST',
    path: '/Cart/Item',
    headers: jsonHeaders(bearer(token)),
    body: JSON.stringify({ id: item, quantity: 1 }),
  };
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
  await inPool(shoppers, 64, async (shopper) => {
    await Promise.all(lines.map((line) => ctx.carts.add(shopper, line.id, line.quantity)));
  });
}

const shoppersFor = (ctx: BenchContext, phase: Phase) =>
  shopperIds(phase, phase === 'warm-up' ? Math.min(100, ctx.settings.shoppers) : ctx.settings.shoppers);

// Reads take no lock and change nothing: a few hundred shoppers are as good as a thousand, and
// laying out 50-line carts (one script call per line) is what this choice saves.
const READ_SHOPPERS = 200;

function cartRead(lines: number): Scenario {
  return {
    id: `inventory-read-${lines}`,
    title: `GET /Cart, ${lines}-line carts, ${READ_SHOPPERS} shoppers, straight to inventory`,
    group: 'storefront',
    warmUpOnMeasuredData: true,
    async prepare(ctx) {
      const shoppers = shopperIds('measured', READ_SHOPPERS);
      await seedCarts(ctx, shoppers, cartOf(lines));
      let sent = 0;
      return {
        url: ctx.services.inventory.url,
        expectedStatuses: [200],
        nextRequest: () => {
          const shopper = shoppers[sent++ % shoppers.length];
          return {
            method: 'GET',
            path: '/Cart',
            headers: { [IDENTITY_HEADER]: ctx.handoff.sign(shopper, { method: 'GET', url: '/Cart' }) },
          };
        },
      };
    },
  };
}

/** One shopper, every connection adding one unit of the same item at once. */
function hotShopper(
  id: string,
  title: string,
  group: Scenario['group'],
  target: (ctx: BenchContext) => string,
  storedQuantity: (ctx: BenchContext, shopper: string) => Promise<number>,
): Scenario {
  return {
    id,
    title,
    group,
    async prepare(ctx, phase) {
      const shopper = `hot-shopper-${phase === 'warm-up' ? 'w' : 'm'}`;
      return {
        url: target(ctx),
        expectedStatuses: [201],
        nextRequest: () => directAdd(ctx, shopper, HOT_ITEM),
        async countLostUpdates(load, sent) {
          const expected = Object.entries(load.statuses)
            .filter(([status]) => Number(status) >= 200 && Number(status) < 300)
            .reduce((sum, [, count]) => sum + count, 0);
          const stored = await storedQuantity(ctx, shopper);
          return {
            expected,
            stored,
            lost: Math.max(0, expected - stored),
            appliedUnacknowledged: Math.max(0, stored - expected),
            unacknowledged: sent - expected,
          };
        },
      };
    },
  };
}

export function scenarios(): Scenario[] {
  return [
    {
      id: 'express-bare',
      comparison: true,
      title: 'Bare Express 5 route: parse JSON, answer JSON (ceiling)',
      group: 'baseline',
      async prepare(ctx, phase) {
        return manyShoppersAdding(ctx, ctx.services.bare.url, shoppersFor(ctx, phase), (shopper, item) =>
          directAdd(ctx, shopper, item),
        );
      },
    },
    {
      id: 'article-add',
      comparison: true,
      title: "Article's approach: add, GET + SET of the JSON cart, 1,000 shoppers",
      group: 'baseline',
      async prepare(ctx, phase) {
        return manyShoppersAdding(ctx, ctx.services.article.url, shoppersFor(ctx, phase), (shopper, item) =>
          directAdd(ctx, shopper, item),
        );
      },
    },
    {
      id: 'article-shell-add',
      comparison: true,
      title: "Article's approach inside the storefront's service shell (same checks and logging)",
      group: 'baseline',
      async prepare(ctx, phase) {
        return manyShoppersAdding(ctx, ctx.services.articleShell.url, shoppersFor(ctx, phase), (shopper, item) =>
          directAdd(ctx, shopper, item),
        );
      },
    },
    {
      id: 'inventory-add',
      comparison: true,
      title: 'Add to cart straight to inventory, 1,000 shoppers',
      group: 'storefront',
      async prepare(ctx, phase) {
        return manyShoppersAdding(ctx, ctx.services.inventory.url, shoppersFor(ctx, phase), (shopper, item) =>
          directAdd(ctx, shopper, item),
        );
      },
    },
    {
      id: 'gateway-add',
      comparison: true,
      title: 'Add to cart through the gateway, 1,000 shoppers',
      group: 'storefront',
      async prepare(ctx, phase) {
        const tokens = await newSessions(ctx.services.gateway.url, shoppersFor(ctx, phase).length);
        return manyShoppersAdding(ctx, ctx.services.gateway.url, tokens, gatewayAdd);
      },
    },
    cartRead(1),
    cartRead(10),
    cartRead(50),
    hotShopper(
      'inventory-hot',
      'One hot shopper, 50 connections adding, straight to inventory',
      'storefront',
      (ctx) => ctx.services.inventory.url,
      async (ctx, shopper) => (await ctx.carts.read(shopper)).find((line) => line.id === HOT_ITEM)?.quantity ?? 0,
    ),
    hotShopper(
      'article-hot',
      "One hot shopper, 50 connections adding, article's approach",
      'baseline',
      (ctx) => ctx.services.article.url,
      async (ctx, shopper) => {
        const cart = JSON.parse((await ctx.control.get(articleCartKey(shopper))) ?? '[]') as ArticleCartLine[];
        return cart.find((line) => line.id === HOT_ITEM)?.quantity ?? 0;
      },
    ),
    {
      id: 'gateway-checkout',
      title: 'Checkout through the gateway, 3-line carts',
      group: 'storefront',
      warmUpRequests: 150,
      // Each checkout needs a session and a cart made through the gateway (4 requests): bounded so
      // that laying them out does not take most of the time budget.
      maxRequests: 1_500,
      async prepare(ctx, phase, requests) {
        const tokens = await seedCheckoutShoppers(ctx, requests);
        let sent = 0;
        return {
          url: ctx.services.gateway.url,
          expectedStatuses: [200],
          nextRequest: () => {
            // One checkout per shopper: a second would find the cart empty.
            const i = sent++;
            return {
              method: 'PATCH',
              path: '/Cart/checkout',
              headers: jsonHeaders({ ...bearer(tokens[i % tokens.length]), 'idempotency-key': `bench-${phase}-${i}` }),
              body: PAYMENT,
            };
          },
        };
      },
    },
  ];
}

/** Sessions with a 3-line cart each, made through the gateway as a shopper would. */
export async function seedCheckoutShoppers(ctx: BenchContext, count: number): Promise<string[]> {
  const gateway = ctx.services.gateway.url;
  const tokens = await newSessions(gateway, count);
  await inPool(tokens, 32, async (token) => {
    for (const item of CATALOG_IDS.slice(0, 3)) {
      const answer = await request(gateway, 'POST', '/Cart/Item', {
        headers: bearer(token),
        body: { id: item, quantity: 1 },
      });
      if (answer.status !== 201) throw new Error(`seeding a checkout cart: POST /Cart/Item answered ${answer.status}`);
    }
  });
  return tokens;
}
