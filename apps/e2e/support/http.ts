// One HTTP call to the storefront, timed at the client and checked against the OpenAPI document, and the
// summaries the fault specs print.
import { checkAgainstApiDocument } from './api-document-check';

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

export interface Answer {
  status: number;
  headers: Headers;
  /** The answer's text, JSON or not. */
  text: string;
  /** The answer as a JSON object; undefined where it is none (see `text`). */
  body: Body | undefined;
  ms: number;
}

/** One call, with the session token as a Bearer header when given. Throws on a network error. */
export async function call(
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  const started = performance.now();
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    // Longer than any answer the contract allows: a hang shows up as a failure, not as a stuck test.
    signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
  });
  const text = await res.text();
  const ms = Math.round(performance.now() - started);
  const answer = { status: res.status, headers: res.headers, text, body: jsonBody(text), ms };
  checkAgainstApiDocument(method, path, answer);
  return answer;
}

/** The JSON object of an answer's text (the storefront's answers are objects), or undefined. */
export function jsonBody(text: string): Body | undefined {
  try {
    const parsed: unknown = text ? JSON.parse(text) : undefined;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Body) : undefined;
  } catch {
    return undefined;
  }
}

export async function newSession(baseUrl: string): Promise<string> {
  const answer = await call(baseUrl, 'POST', '/session');
  const token = answer.body?.token;
  if (answer.status !== 201 || token === undefined)
    throw new Error(`POST /session answered ${answer.status} ${answer.text}`);
  return token;
}

/** Runs `work` over `items` with at most `limit` at a time. */
export async function inParallel<T, R>(
  items: T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The value at quantile q (0..1) of `values`, by the nearest-rank method. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
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
