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
  articleBytes: number;
}

export async function measureCartMemory(ctx: BenchContext, prefix: string): Promise<CartMemory[]> {
  const results: CartMemory[] = [];
  // A shopper id as long as the gateway's (32 characters), so both keys are as long as in production.
  const shopper = 'memory-shopper-0123456789abcdefg';
  const usage = async (key: string) => Number(await ctx.control.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
  for (const lines of [1, 10, 50]) {
    await ctx.control.flushall();
    await seedCarts(ctx, [shopper], cartOf(lines));
    // The library keeps its key names to itself: find the one cart it wrote (its tag is in braces).
    const [, keys] = await ctx.control.scan('0', 'MATCH', `${prefix}cart:{*`, 'COUNT', 1000);
    if (keys.length !== 1) throw new Error(`expected one cart key after seeding, found ${keys.length}`);
    await ctx.control.set(articleCartKey(shopper), JSON.stringify(cartOf(lines)));
    results.push({
      lines,
      storefrontBytes: await usage(keys[0]),
      storefrontEncoding: String(await ctx.control.call('OBJECT', 'ENCODING', keys[0])),
      articleBytes: await usage(articleCartKey(shopper)),
    });
  }
  return results;
}
