// One load run with autocannon: a fixed number of requests over keep-alive connections, each request
// built fresh by `nextRequest` (a new single-use identity hand-off, the next shopper, the next item).
//
// A fixed count rather than a fixed duration: every request sent is answered before the run ends, so
// Redis commands and lost updates divide by an exact number (a duration run abandons requests in
// flight that the server may still carry out). Throughput is that count over the time from the start
// to the last answer; latencies are every answer's own, kept exactly (autocannon's histogram rounds
// to whole milliseconds).
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';

export interface LoadRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface LoadOptions {
  /** Base URL of the server under load. */
  url: string;
  connections: number;
  requests: number;
  nextRequest: () => LoadRequest;
  timeoutSeconds?: number;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p99: number; mean: number; max: number };
  /** Answers per HTTP status. */
  statuses: Record<string, number>;
  /** Connection errors and timeouts (requests that got no answer). */
  errors: number;
  timeouts: number;
  connections: number;
}

function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)];
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const connections = Math.max(1, Math.min(options.connections, options.requests));
  const latencies = new Float64Array(options.requests);
  const statuses: Record<string, number> = {};
  let answered = 0;
  let lastAnswerAt = 0;
  const startedAt = performance.now();

  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections,
        amount: options.requests,
        timeout: options.timeoutSeconds ?? 10,
        // autocannon notices the end of a fixed-count run only at its next sample tick.
        sampleInt: 50,
        requests: [
          {
            setupRequest: (request) => {
              const next = options.nextRequest();
              return { ...request, method: next.method, path: next.path, headers: next.headers, body: next.body };
            },
          },
        ],
      },
      (err, done) => (err ? reject(err) : resolve(done)),
    );
    // autocannon 9 emits (client, status, bytes, ms); its published types predate the client argument.
    (instance as unknown as NodeJS.EventEmitter).on(
      'response',
      (_client: unknown, status: number, _bytes: number, ms: number) => {
        if (answered < latencies.length) latencies[answered] = ms;
        answered += 1;
        statuses[status] = (statuses[status] ?? 0) + 1;
        lastAnswerAt = performance.now();
      },
    );
  });

  const seconds = ((lastAnswerAt || performance.now()) - startedAt) / 1000;
  const sorted = latencies.slice(0, Math.min(answered, latencies.length)).sort();
  const mean = sorted.length ? sorted.reduce((sum, value) => sum + value, 0) / sorted.length : 0;
  return {
    requests: answered,
    seconds,
    requestsPerSecond: seconds > 0 ? answered / seconds : 0,
    latencyMs: {
      p50: percentile(sorted, 0.5),
      p99: percentile(sorted, 0.99),
      mean,
      max: sorted.length ? sorted[sorted.length - 1] : 0,
    },
    statuses,
    errors: result.errors,
    timeouts: result.timeouts,
    connections,
  };
}

/** Answers whose status is not in `expected`. */
export function unexpectedAnswers(load: LoadResult, expected: number[]): number {
  return Object.entries(load.statuses)
    .filter(([status]) => !expected.includes(Number(status)))
    .reduce((sum, [, count]) => sum + count, 0);
}
