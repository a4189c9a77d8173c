// The Redis server's own ceiling for the commands the storefront sends, by redis-benchmark: the real
// commands, as the services sent them during the round-trip check (MONITOR), with the single-use parts
// made fresh per call (`__rand_int__`), so Redis does the work it does for a real request.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { articleCartKey } from './baselines/article-keys';
import type { BenchContext } from './context';
import { findOnPath } from './processes';
import { cartOf, seedCarts, shopperIds } from './scenarios';

const run = promisify(execFile);

export interface RedisBenchmarkResult {
  id: string;
  title: string;
  /** The command line as run, long arguments shortened. */
  command: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Share of one core redis-server used meanwhile, in percent. */
  redisCpuPercent: number;
}

export interface RedisBenchmarkReport {
  results: RedisBenchmarkResult[];
  /** Why some or all commands have no figure. */
  skipped?: string;
}

interface Benchmark {
  id: string;
  title: string;
  args: string[];
}

const short = (arg: string) => (arg.length > 40 ? `${arg.slice(0, 37)}...` : arg);

/**
 * The EVALSHA a service sent (from its second call on a connection; the first is an EVAL with the
 * script's text, which MONITOR's escaping does not give back byte for byte).
 */
function sampleOf(samples: Record<string, string[]>, prefix: string): string[] | undefined {
  return samples[`${prefix}evalsha`];
}

/**
 * The cart scripts take the cart, claim, lease and hand-off nonce keys, then their arguments, the
 * nonce check flag and its TTL last. A fresh nonce per call (or the check would refuse a replay at
 * once), and for adds a fresh cart per call too, so each call creates a line as a new shopper's add does.
 */
function freshNonce(args: string[], freshCart: boolean): string[] {
  const numberOfKeys = Number(args[2]);
  const keys = args.slice(3, 3 + numberOfKeys);
  const nonceKey = keys[numberOfKeys - 1];
  keys[numberOfKeys - 1] = `${nonceKey.slice(0, nonceKey.lastIndexOf(':') + 1)}__rand_int__`;
  if (freshCart) keys[0] = keys[0].replace(/\}$/, '-__rand_int__}');
  return [...args.slice(0, 3), ...keys, ...args.slice(3 + numberOfKeys)];
}

export async function runRedisBenchmark(
  ctx: BenchContext,
  samples: Record<string, string[]>,
): Promise<RedisBenchmarkReport> {
  const binary = findOnPath('redis-benchmark');
  if (!binary) return { results: [], skipped: 'redis-benchmark is not on PATH' };

  // The data the replayed commands need: the read probe's 10-line carts, the gateway's session, a
  // 10-line JSON cart for the article's GET.
  await ctx.control.flushall();
  await seedCarts(ctx, shopperIds('measured', 20), cartOf(10));
  const articleJson = JSON.stringify(cartOf(10));
  await ctx.control.set(articleCartKey('redis-benchmark-shopper'), articleJson);
  const sessionCheck = sampleOf(samples, 'gateway-add/gateway/');
  if (sessionCheck) await ctx.control.set(sessionCheck[3], String(Date.now()), 'EX', 3600);

  const benchmarks: Benchmark[] = [{ id: 'ping', title: 'PING (a bare round trip)', args: ['PING'] }];
  benchmarks.push(
    {
      id: 'article-get',
      title: "Article's GET of a 10-line JSON cart",
      args: ['GET', articleCartKey('redis-benchmark-shopper')],
    },
    {
      id: 'article-set',
      title: "Article's SET of a 10-line JSON cart",
      args: ['SET', articleCartKey('__rand_int__'), articleJson],
    },
  );
  if (sessionCheck)
    benchmarks.push({ id: 'session-check', title: "Gateway's session check (EVALSHA)", args: sessionCheck });
  const read = sampleOf(samples, 'inventory-read/inventory/');
  if (read) benchmarks.push({ id: 'cart-read', title: 'Cart read, 10 lines (EVALSHA)', args: freshNonce(read, false) });
  const add = sampleOf(samples, 'inventory-add/inventory/');
  if (add) benchmarks.push({ id: 'cart-add', title: 'Cart add, new line (EVALSHA)', args: freshNonce(add, true) });

  const results: RedisBenchmarkResult[] = [];
  const failures: string[] = [];
  for (const benchmark of benchmarks) {
    const cpuBefore = ctx.redis.cpuSeconds();
    const startedAt = Date.now();
    let stdout: string;
    try {
      ({ stdout } = await run(
        binary,
        [
          '-h',
          '127.0.0.1',
          '-p',
          String(ctx.redis.port),
          '-c',
          String(ctx.settings.connections),
          '-n',
          String(ctx.settings.redisBenchmarkRequests),
          '-r',
          '1000000',
          '--csv',
          ...benchmark.args,
        ],
        { maxBuffer: 16 * 1024 * 1024 },
      ));
    } catch (err) {
      failures.push(`${benchmark.id}: ${(err as Error).message.split('\n').slice(-2).join(' ').trim()}`);
      continue;
    }
    const seconds = (Date.now() - startedAt) / 1000;
    const redisCpuPercent = (100 * (ctx.redis.cpuSeconds() - cpuBefore)) / seconds;
    // The last CSV line: "<test>","rps","avg","min","p50","p95","p99","max".
    const numbers = /"([\d.]+)","([\d.]+)","([\d.]+)","([\d.]+)","([\d.]+)","([\d.]+)","([\d.]+)"\s*$/.exec(
      stdout.trim(),
    );
    if (!numbers) {
      failures.push(`${benchmark.id}: no result in ${JSON.stringify(stdout.slice(-200))}`);
      continue;
    }
    results.push({
      id: benchmark.id,
      title: benchmark.title,
      command: benchmark.args.map(short).join(' '),
      requestsPerSecond: Number(numbers[1]),
      p50Ms: Number(numbers[4]),
      p99Ms: Number(numbers[6]),
      redisCpuPercent,
    });
  }
  return failures.length ? { results, skipped: failures.join('; ') } : { results };
}
