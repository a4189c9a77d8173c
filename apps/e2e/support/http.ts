// One HTTP call to the storefront (the test kit's client, with the answers the contract gives), and the
// summaries the fault specs print.
import { callJson, type JsonReply } from '@storefront/test-kit';

/**
 * A JSON answer of the storefront, as docs/CONTRACT.md gives it: each route answers with some of these
 * fields, an error with `error` alone.
 */
export interface Body {
  token?: string;
  items?: { id: string; name: string; price: number; currency: string }[];
  cart?: { id: string; quantity: number }[];
  message?: string;
  order?: {
    id: string;
    items: { id: string; quantity: number; unitPrice: number }[];
    total: number;
    currency: string;
  };
  error?: { code: string; message: string };
}

/** An answer of the storefront: status, headers, text, `body` as JSON, and how long it took. */
export type Answer = JsonReply<Body>;

/** One call, with the session token as a Bearer header when given. Throws on a network error or a hang. */
export function call(
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Answer> {
  return callJson<Body>(baseUrl, method, path, options);
}

export async function newSession(baseUrl: string): Promise<string> {
  const answer = await call(baseUrl, 'POST', '/session');
  const token = answer.body?.token;
  if (answer.status !== 201 || token === undefined)
    throw new Error(`POST /session answered ${answer.status} ${answer.text}`);
  return token;
}

/** Counts by key, as "key=count" pairs in key order: the figures each spec prints. */
export function countBy<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

export function formatCounts(counts: Record<string, number>): string {
  return Object.entries(counts)
    .map(([key, count]) => `${key}=${count}`)
    .join(' ');
}

/** One summary line on stdout (Jest shows it with the test's output). */
export function report(line: string): void {
  process.stdout.write(`[faults] ${line}\n`);
}
