// Shoppers on a storefront, as Online Boutique's load generator has them: each shopper keeps one
// session (the gateway's `sid` cookie, as a browser keeps it) and, request after request, picks an
// action by weight: browse a product 10, add to cart 2, view the cart 3, check out 1 (an empty cart is
// filled first: a shopper adds before paying). Bounded by a request count and by a time, whichever
// comes first; every answer is counted by action and by status, and timed.
import http from 'node:http';
import { callJson, inPool, percentile, type JsonReply } from '@storefront/test-kit';

export type Action = 'browse' | 'add' | 'view cart' | 'checkout';

const WEIGHTS: [Action, number][] = [
  ['browse', 10],
  ['add', 2],
  ['view cart', 3],
  ['checkout', 1],
];

export interface LoadSettings {
  /** The storefront's gateway, e.g. http://127.0.0.1:3000 */
  url: string;
  /** Shoppers at once, each with its session, each one request at a time. */
  shoppers: number;
  /** At most this many requests in all (sessions not counted)... */
  requests: number;
  /** ... and for at most this long. */
  seconds: number;
}

export interface Progress {
  seconds: number;
  requests: number;
  /** Answers other than 2xx, and requests with no answer. */
  errors: number;
  orders: number;
}

export interface LoadSummary extends Progress {
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  /** Answers per status ("error" for no answer), and per action. */
  statuses: Record<string, number>;
  actions: Record<Action, number>;
}

function pick(): Action {
  let roll = Math.random() * WEIGHTS.reduce((sum, [, weight]) => sum + weight, 0);
  for (const [action, weight] of WEIGHTS) if ((roll -= weight) < 0) return action;
  return 'browse';
}

/** Runs the shoppers until the count or the time is up; `onProgress` hears how it goes every second. */
export async function runShoppers(settings: LoadSettings, onProgress?: (progress: Progress) => void) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: settings.shoppers });
  const { items } = (await callJson<{ items: { id: string }[] }>(settings.url, 'GET', '/Items', { agent })).body ?? {};
  if (!items?.length) throw new Error(`GET ${settings.url}/Items gave no items`);
  const cookies = await inPool(Array.from({ length: settings.shoppers }), 16, async () => {
    const answer = await callJson(settings.url, 'POST', '/session', { agent });
    const sid = /(?:^|,\s*)(sid=[^;]+)/.exec(answer.headers.get('set-cookie') ?? '')?.[1];
    if (answer.status !== 201 || !sid) throw new Error(`POST /session answered ${answer.status} without a sid cookie`);
    return sid;
  });

  const startedAt = performance.now();
  const deadline = startedAt + settings.seconds * 1000;
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const actions: Record<Action, number> = { browse: 0, add: 0, 'view cart': 0, checkout: 0 };
  let sent = 0;
  let errors = 0;
  let orders = 0;
  const progress = (): Progress => ({
    seconds: (performance.now() - startedAt) / 1000,
    requests: sent,
    errors,
    orders,
  });
  const timer = onProgress && setInterval(() => onProgress(progress()), 1000);

  await inPool(cookies, settings.shoppers, async (cookie, shopper) => {
    let inCart = 0;
    while (sent < settings.requests && performance.now() < deadline) {
      sent += 1;
      let action = pick();
      if (action === 'checkout' && inCart === 0) action = 'add';
      const item = items[Math.floor(Math.random() * items.length)].id;
      const options = { agent, headers: { cookie } };
      let answer: JsonReply<Record<string, unknown>> | undefined;
      try {
        if (action === 'browse') answer = await callJson(settings.url, 'GET', `/Items/${item}`, options);
        else if (action === 'view cart') answer = await callJson(settings.url, 'GET', '/Cart', options);
        else if (action === 'add')
          answer = await callJson(settings.url, 'POST', '/Cart/Item', { ...options, body: { id: item } });
        else {
          const headers = { cookie, 'idempotency-key': `load-${shopper}-${sent}` };
          const body = { payment: { token: 'tok_visa' } };
          answer = await callJson(settings.url, 'PATCH', '/Cart/checkout', { agent, headers, body });
        }
      } catch {
        // No answer (refused, reset, or none within the client's timeout): an error with no status.
      }
      actions[action] += 1;
      const status = answer ? String(answer.status) : 'error';
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (!answer || answer.status >= 300) errors += 1;
      else latencies.push(answer.ms);
      if (answer?.status === 201 && action === 'add') inCart += 1;
      if (answer?.status === 200 && action === 'checkout') [orders, inCart] = [orders + 1, 0];
    }
  });
  if (timer) clearInterval(timer);
  agent.destroy();
  const done = progress();
  const at = (fraction: number) => (latencies.length ? percentile(latencies, fraction) : 0);
  return {
    ...done,
    requestsPerSecond: done.requests / done.seconds,
    latencyMs: { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1) },
    statuses,
    actions,
  } satisfies LoadSummary;
}

/** The summary as a person reads it at the end of a run. */
export function formatSummary(summary: LoadSummary): string {
  const { latencyMs: l } = summary;
  const counts = (record: Record<string, number>) =>
    Object.entries(record)
      .map(([key, count]) => `${key} ${count}`)
      .join(', ');
  return [
    `${summary.requests} requests in ${summary.seconds.toFixed(1)} s: ${summary.requestsPerSecond.toFixed(0)} req/s`,
    `latency of the 2xx answers: p50 ${l.p50} ms, p90 ${l.p90} ms, p99 ${l.p99} ms, max ${l.max} ms`,
    `statuses: ${counts(summary.statuses)}`,
    `actions: ${counts(summary.actions)}`,
    `orders placed: ${summary.orders}; errors: ${summary.errors}`,
  ].join('\n');
}
