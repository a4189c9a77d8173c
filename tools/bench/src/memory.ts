// Redis memory per cart: the storefront's hash (item id to quantity, as the cart library writes it)
// against the article's JSON string of the same lines, by MEMORY USAGE (key, value and Redis's own
// bookkeeping for the entry, all nested values counted).
import { articleCartKey } from './baselines/article-keys';
import type { BenchContext } from './context';
import { cartOf, seedCarts } from './scenarios';

export interface CartMemory {
  lines: number;
  storefrontBytes: number;
  /** How Redis stores the hash (listpack while small: one compact allocation). */
  storefrontEncoding: string;
  storefrontKeyLength: number;
  articleBytes: number;
  articleKeyLength: number;
  /** Length of the article's JSON string itself. */
  articleJsonLength: number;
}

export const CART_SIZES = [1, 10, 50];

export async function measureCartMemory(ctx: BenchContext): Promise<CartMemory[]> {
  const results: CartMemory[] = [];
  // A shopper id as long as the gateway's (32 characters), so both keys are as long as in production.
  const shopper = 'memory-shopper-0123456789abcdefg';
  for (const size of CART_SIZES) {
    await ctx.control.flushall();
    const lines = cartOf(size);
    await seedCarts(ctx, [shopper], lines);
    // The library keeps its key names to itself: find the one cart it wrote (its tag is in braces).
    const [, keys] = await ctx.control.scan('0', 'MATCH', `${ctx.prefix}cart:{*`, 'COUNT', 1000);
    if (keys.length !== 1) throw new Error(`expected one cart key after seeding, found ${keys.length}`);
    const cartKey = keys[0];
    const json = JSON.stringify(lines);
    const articleKey = articleCartKey(shopper);
    await ctx.control.set(articleKey, json);
    const usage = async (key: string) => Number(await ctx.control.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
    results.push({
      lines: size,
      storefrontBytes: await usage(cartKey),
      storefrontEncoding: String(await ctx.control.call('OBJECT', 'ENCODING', cartKey)),
      storefrontKeyLength: cartKey.length,
      articleBytes: await usage(articleKey),
      articleKeyLength: articleKey.length,
      articleJsonLength: Buffer.byteLength(json),
    });
  }
  return results;
}
