// Steady cart traffic through the gateway with autocannon (programmatic API): every connection adds an
// item (POST /Cart/Item, quantity 1) then reads the cart (GET /Cart), again and again, each time for
// the next of its own sessions and the next catalog item (so no line reaches CART_MAX_QUANTITY).
//
// Every answer is kept as a sample (when it ended, how long it took, status, error code, which
// session), so a spec can look at the answers given while Redis was down and count, per session, the
// adds that were acknowledged.
import { listItems } from '@storefront/catalog';
import {
  inPool,
  runLoad,
  startLoad,
  unexpectedAnswers,
  waitFor,
  type LoadRequest,
  type LoadResult,
} from '@storefront/test-kit';
import { call, newSession } from '../support/http';

export interface Sample {
  /** Date.now() when the answer had arrived. */
  end: number;
  /** Date.now() when the request was sent (end - ms). */
  start: number;
  /** Time to the whole answer, as autocannon measured it. */
  ms: number;
  status: number;
  /** error.code of a JSON error body. */
  code?: string;
  /** The Retry-After header, when there is one. */
  retryAfter?: string;
  kind: 'add' | 'read';
  token: string;
}

export interface CartLoadOptions {
  gatewayUrl: string;
  tokens: string[];
  itemIds: string[];
  connections: number;
  durationSec: number;
  /** Requests per second over all connections (autocannon overallRate); unset: as fast as answered. */
  overallRate?: number;
  /** A request without an answer after this long is counted as a timeout (autocannon `timeout`). */
  timeoutSec?: number;
}

export interface CartLoadResult {
  samples: Sample[];
  /** Adds sent per session, answered or not (the last ones may be cut off when the run ends). */
  addsSent: Map<string, number>;
  /** Connection errors and timeouts: requests that got no HTTP answer at all. */
  errors: number;
  timeouts: number;
  result: LoadResult;
}

export interface RunningLoad {
  startedAt: number;
  done: Promise<CartLoadResult>;
}

function errorCodeOf(body: string): string | undefined {
  try {
    return JSON.parse(body)?.error?.code;
  } catch {
    return undefined;
  }
}

type Sent = { kind: 'add' | 'read'; token: string };

export function startCartLoad(options: CartLoadOptions): RunningLoad {
  const samples: Sample[] = [];
  const addsSent = new Map<string, number>();
  // Per connection: its own sessions (connection i takes sessions i, i + connections, ...), a turn
  // that staggers the items (so connections do not all add the same one), and the add to read back.
  const connections = Array.from({ length: options.connections }, (_, index) => {
    const mine = options.tokens.filter((_, j) => j % options.connections === index);
    return { tokens: mine.length > 0 ? mine : [options.tokens[index % options.tokens.length]], turn: index, read: '' };
  });
  const load = startLoad<Sent>({
    url: options.gatewayUrl,
    connections: options.connections,
    durationSec: options.durationSec,
    overallRate: options.overallRate,
    timeoutSec: options.timeoutSec ?? 5,
    nextRequest: (index): LoadRequest<Sent> => {
      const connection = connections[index];
      if (connection.read) {
        const token = connection.read;
        connection.read = '';
        return {
          method: 'GET',
          path: '/Cart',
          headers: { authorization: `Bearer ${token}` },
          tag: { kind: 'read', token },
        };
      }
      connection.turn += 1;
      const token = connection.tokens[connection.turn % connection.tokens.length];
      connection.read = token;
      addsSent.set(token, (addsSent.get(token) ?? 0) + 1);
      return {
        method: 'POST',
        path: '/Cart/Item',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ id: options.itemIds[connection.turn % options.itemIds.length] }),
        tag: { kind: 'add', token },
      };
    },
    onAnswer: (answer) => {
      const { kind, token } = answer.request.tag as Sent;
      const code = answer.status >= 400 ? errorCodeOf(answer.body) : undefined;
      const retryAfter = answer.headers['retry-after'];
      samples.push({
        start: answer.start,
        end: answer.end,
        ms: answer.ms,
        status: answer.status,
        code,
        retryAfter,
        kind,
        token,
      });
    },
  });
  const done = load.done.then((result) => ({
    samples,
    addsSent,
    errors: result.errors,
    timeouts: result.timeouts,
    result,
  }));
  return { startedAt: load.startedAt, done };
}

/**
 * The answers slower than `limitMs`, with when they were sent (seconds from `origin`, e.g. the fault):
 * tells a fault's effect from a machine that was busy with something else at some other moment.
 */
export function describeSlow(samples: Sample[], limitMs: number, origin: number, originName: string): string {
  const slow = samples.filter((s) => s.ms > limitMs).sort((a, b) => b.ms - a.ms);
  if (slow.length === 0) return `over ${limitMs} ms: 0`;
  const shown = slow
    .slice(0, 5)
    .map(
      (s) => `${s.kind} ${s.status} ${s.ms} ms sent at ${((s.start - origin) / 1000).toFixed(2)} s from ${originName}`,
    )
    .join(', ');
  return `over ${limitMs} ms: ${slow.length} (slowest: ${shown})`;
}

export interface CartsAgainstAnswers {
  /** Units acknowledged (201) but not in the cart: what Redis lost. */
  lost: number;
  /** Units in the cart beyond the acknowledged adds: refused (503) adds that were applied anyway. */
  extra: number;
  /** Units beyond every add sent, answered or not: an add applied twice. */
  unaccounted: number;
  /** 503 answers to the read-back before the store served it (for the report). */
  readBackRefusals: number;
}

/** Each shopper's cart, read back through the storefront, against the adds it answered and sent. */
export async function compareCartsWithAnswers(
  gatewayUrl: string,
  tokens: string[],
  { samples, addsSent }: Pick<CartLoadResult, 'samples' | 'addsSent'>,
): Promise<CartsAgainstAnswers> {
  const totals = { lost: 0, extra: 0, unaccounted: 0, readBackRefusals: 0 };
  for (const token of tokens) {
    const acknowledged = samples.filter((s) => s.token === token && s.kind === 'add' && s.status === 201).length;
    // A refusal that says "try again" is taken at its word for a while: on a loaded machine the store
    // may still be settling after a failover. How soon it served again is the spec's own check.
    const settled = await waitFor(async () => {
      const read = await call(gatewayUrl, 'GET', '/Cart', { token });
      if (read.status !== 503) return read;
      totals.readBackRefusals++;
      return undefined;
    }, 10_000).catch(() => undefined);
    const answer = settled ?? (await call(gatewayUrl, 'GET', '/Cart', { token }));
    const cart = answer.body?.cart;
    if (answer.status !== 200 || !cart)
      throw new Error(`GET /Cart afterwards answered ${answer.status} ${answer.text}`);
    const units = cart.reduce((sum, line) => sum + line.quantity, 0);
    if (units < acknowledged) totals.lost += acknowledged - units;
    else totals.extra += units - acknowledged;
    totals.unaccounted += Math.max(0, units - (addsSent.get(token) ?? 0));
  }
  return totals;
}

/**
 * Reads of every shopper's (still empty) cart over the load's connections, about a second's worth:
 * the first answers of freshly started processes (code not yet compiled, connections to the services
 * and to Redis still to open) took over a second on a busy machine, seconds before any fault. A read
 * changes no cart, so every count the specs make afterwards is the measured load's alone.
 */
async function warmUp(gatewayUrl: string, tokens: string[], connections: number): Promise<void> {
  let read = 0;
  const result = await runLoad({
    url: gatewayUrl,
    connections,
    requests: Math.max(400, tokens.length * 2),
    nextRequest: () => ({
      method: 'GET',
      path: '/Cart',
      headers: { authorization: `Bearer ${tokens[read++ % tokens.length]}` },
    }),
  });
  if (unexpectedAnswers(result, [200]) > 0) throw new Error(`warming up: ${JSON.stringify(result.statuses)}`);
}

/**
 * `shoppers` new sessions, each adding catalog items to its own cart through the gateway over
 * `connections` connections (default one each), at `rate` requests per second in all.
 */
export async function startShoppersLoad(
  gatewayUrl: string,
  options: { shoppers: number; connections?: number; durationSec: number; rate: number },
): Promise<{ tokens: string[]; load: RunningLoad }> {
  const tokens = await inPool(Array.from({ length: options.shoppers }), 10, () => newSession(gatewayUrl));
  await warmUp(gatewayUrl, tokens, options.connections ?? options.shoppers);
  const load = startCartLoad({
    gatewayUrl,
    tokens,
    itemIds: listItems().map((item) => item.id),
    connections: options.connections ?? options.shoppers,
    durationSec: options.durationSec,
    overallRate: options.rate,
  });
  return { tokens, load };
}
