// Load with autocannon, over keep-alive connections: each request built fresh by `nextRequest` (a new
// identity hand-off, the next shopper, the next item), either a fixed number of them or for a while,
// at full speed or at a fixed overall rate.
//
// A fixed count (`requests`) lets figures divide by an exact number: every request sent is answered
// before the run ends (a run for a duration abandons requests in flight that the server may still
// carry out). Latencies are every answer's own, kept exactly (autocannon's histogram rounds to whole
// milliseconds). With `onAnswer`, each answer is handed over with the request it answers (status,
// headers, body): what a fault test needs to look at the answers given while the fault lasted.
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { percentile } from './pool';

export interface LoadRequest<Tag = unknown> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Anything the caller wants back with the answer (e.g. which shopper sent it). */
  tag?: Tag;
}

export interface LoadAnswer<Tag = unknown> {
  request: LoadRequest<Tag>;
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body: string;
  /** Date.now() when the request was sent (end - ms) and when its answer had arrived. */
  start: number;
  end: number;
  /** Time to the whole answer, as autocannon measured it, in whole milliseconds. */
  ms: number;
}

export interface LoadOptions<Tag = unknown> {
  /** Base URL of the server under load. */
  url: string;
  connections: number;
  /** A fixed number of requests; or `durationSec`. */
  requests?: number;
  durationSec?: number;
  /** Requests per second over all connections (autocannon overallRate); unset: as fast as answered. */
  overallRate?: number;
  /** The next request of connection `connection` (0 .. connections - 1). */
  nextRequest: (connection: number) => LoadRequest<Tag>;
  /** Called with every answer; only then are bodies and headers collected at all. */
  onAnswer?: (answer: LoadAnswer<Tag>) => void;
  /** A request without an answer after this long counts as a timeout (default 10 s). */
  timeoutSec?: number;
}

export interface LoadResult {
  /** Answers received. */
  requests: number;
  /** From the start to the last answer. */
  seconds: number;
  requestsPerSecond: number;
  /** Of every answer, exactly; 0 when there was none. */
  latencyMs: { p50: number; p99: number; mean: number; max: number };
  /** Answers per HTTP status. */
  statuses: Record<string, number>;
  /** Connection errors and timeouts: requests that got no HTTP answer at all. */
  errors: number;
  timeouts: number;
  connections: number;
  /** autocannon's own result, for its figures (its latency histogram rounds to whole milliseconds). */
  autocannon: autocannon.Result;
}

export interface RunningLoad {
  /** Date.now() when the load started. */
  startedAt: number;
  done: Promise<LoadResult>;
}

type Context = { sent?: LoadRequest<unknown> };

function headerRecord(headers: Record<string, unknown> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]));
}

/** How many answers, how fast, and their latencies' percentiles (exact, from every answer). */
function answerFigures(latencies: number[], seconds: number) {
  const sorted = Float64Array.from(latencies).sort();
  const at = (fraction: number) => (sorted.length ? percentile(sorted, fraction, { sorted: true }) : 0);
  return {
    requests: sorted.length,
    seconds,
    requestsPerSecond: seconds > 0 ? sorted.length / seconds : 0,
    latencyMs: {
      p50: at(0.5),
      p99: at(0.99),
      mean: sorted.length ? sorted.reduce((sum, value) => sum + value, 0) / sorted.length : 0,
      max: sorted.length ? sorted[sorted.length - 1] : 0,
    },
  };
}

/** Starts the load; `done` resolves once it has ended and every answer is in. */
export function startLoad<Tag = unknown>(options: LoadOptions<Tag>): RunningLoad {
  const connections = Math.max(1, Math.min(options.connections, options.requests ?? Infinity));
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let lastAnswerAt = 0;
  let clientIndex = 0;
  const startedAt = Date.now();
  const started = performance.now();

  const setupClient = (client: autocannon.Client) => {
    const connection = clientIndex++;
    // The answer's status, headers and body arrive in onResponse, its duration in the client's
    // 'response' event right after: one request at a time per connection (no pipelining), so they
    // pair up.
    let pending: Omit<LoadAnswer<Tag>, 'start' | 'end' | 'ms'> | undefined;
    client.setRequests([
      {
        setupRequest: (request, context) => {
          const next = options.nextRequest(connection);
          (context as Context).sent = next;
          return { ...request, method: next.method, path: next.path, headers: next.headers, body: next.body };
        },
        onResponse: options.onAnswer
          ? (status, body, context, headers) => {
              const sent = (context as Context).sent as LoadRequest<Tag>;
              pending = { request: sent, status, headers: headerRecord(headers), body };
            }
          : undefined,
      },
    ]);
    client.on('response', (status: number, _bytes: number, responseTime: number) => {
      latencies.push(responseTime);
      statuses[status] = (statuses[status] ?? 0) + 1;
      lastAnswerAt = performance.now();
      if (!options.onAnswer || !pending) return;
      const end = Date.now();
      const ms = Math.round(responseTime);
      options.onAnswer({ ...pending, start: end - ms, end, ms });
      pending = undefined;
    });
  };

  const done = new Promise<LoadResult>((resolve, reject) => {
    autocannon(
      {
        url: options.url,
        connections,
        // autocannon takes an explicit undefined as a value: only the options given are passed.
        ...(options.requests === undefined ? { duration: options.durationSec } : { amount: options.requests }),
        ...(options.overallRate === undefined ? {} : { overallRate: options.overallRate }),
        timeout: options.timeoutSec ?? 10,
        // autocannon notices the end of a fixed-count run only at its next sample tick.
        sampleInt: 50,
        // Every answer's latency counts, the errors included.
        excludeErrorStats: false,
        setupClient,
      },
      (err: unknown, result: autocannon.Result) => {
        if (err) return reject(err);
        resolve({
          ...answerFigures(latencies, ((lastAnswerAt || performance.now()) - started) / 1000),
          statuses,
          errors: result.errors,
          timeouts: result.timeouts,
          connections,
          autocannon: result,
        });
      },
    );
  });
  return { startedAt, done };
}

/** Runs the load to its end. */
export function runLoad<Tag = unknown>(options: LoadOptions<Tag>): Promise<LoadResult> {
  return startLoad(options).done;
}

/** Answers whose status is not in `expected`. */
export function unexpectedAnswers(load: LoadResult, expected: number[]): number {
  return Object.entries(load.statuses)
    .filter(([status]) => !expected.includes(Number(status)))
    .reduce((sum, [, count]) => sum + count, 0);
}

/** The figures of a paced load: autocannon's own result aside, as a load at a rate uses no autocannon. */
export type PacedLoadResult = Omit<LoadResult, 'autocannon'>;

/**
 * Requests at evenly spaced moments, `rate` per second, whatever the server does (an open loop), over
 * at most `connections` keep-alive connections. autocannon's rate limit is no such thing: each
 * connection sends as fast as answered until its quota for the second is used, then waits for the
 * next second, so a load at half the maximum rate is the maximum rate for half of every second, and
 * its latencies are those of a server at its limit. A latency here runs from the moment the request
 * was due, not from when a connection was free to send it: waiting for a connection is the server's
 * delay too (no coordinated omission). `timeoutSec` bounds a request once it is on a connection, not
 * its wait for one. `nextRequest` gets the request's number modulo `connections`, not the connection
 * that will carry it: consecutive requests of one number may run at once.
 */
export async function runPacedLoad<Tag = unknown>(
  options: Omit<LoadOptions<Tag>, 'overallRate'> & { rate: number },
): Promise<PacedLoadResult> {
  if (!(options.rate > 0 && Number.isFinite(options.rate))) throw new Error(`runPacedLoad: rate ${options.rate}`);
  const { Agent } = await import('undici');
  const total = options.requests ?? Math.round(options.rate * (options.durationSec ?? 0));
  // An Agent (one pool per origin) takes the handler of callbacks that a bare Pool does not.
  const pool = new Agent({ connections: options.connections, pipelining: 1 });
  const origin = new URL(options.url).origin;
  const timeoutMs = (options.timeoutSec ?? 10) * 1000;
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let timeouts = 0;
  let lastAnswerAt = 0;
  const started = performance.now();
  let callerError: unknown;
  let outstanding = 0;
  let allSent = false;
  let finished!: () => void;
  const allAnswered = new Promise<void>((resolve) => (finished = resolve));
  const settle = () => {
    if (--outstanding === 0 && allSent) finished();
  };

  // Through the pool's dispatch and a handler of callbacks: no promise or body stream per request,
  // which would make the load generator, on the same cores, the slowest process of the run.
  const send = (index: number, dueAt: number) => {
    const request = options.nextRequest(index % options.connections);
    let status = 0;
    let headers: Record<string, unknown> = {};
    const chunks: Buffer[] = [];
    outstanding++;
    pool.dispatch(
      {
        origin,
        method: request.method,
        path: request.path,
        headers: request.headers,
        body: request.body,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      },
      {
        // Its presence marks the handler as one of callbacks (undici's current handler interface).
        onRequestStart() {},
        onResponseStart(_controller, statusCode, answerHeaders) {
          status = statusCode;
          headers = answerHeaders;
        },
        onResponseData(_controller, chunk) {
          if (options.onAnswer) chunks.push(chunk);
        },
        onResponseEnd() {
          const now = performance.now();
          lastAnswerAt = now;
          latencies.push(now - dueAt);
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (options.onAnswer) {
            const end = Date.now();
            const ms = Math.round(now - dueAt);
            const body = Buffer.concat(chunks).toString('utf8');
            // A throw here would reach undici, which would report this answer as an error too.
            try {
              options.onAnswer({ request, status, headers: headerRecord(headers), body, start: end - ms, end, ms });
            } catch (err) {
              callerError ??= err;
            }
          }
          settle();
        },
        onResponseError(_controller, err) {
          errors++;
          if ((err as { code?: string }).code?.includes('TIMEOUT')) timeouts++;
          settle();
        },
      },
    );
  };

  // Wakes at the next due moment (timers fire a millisecond or so late) and sends all that are due.
  try {
    for (let sent = 0; sent < total;) {
      const now = performance.now();
      for (; sent < total && started + (sent * 1000) / options.rate <= now; sent++) {
        send(sent, started + (sent * 1000) / options.rate);
      }
      if (sent < total) {
        const wait = started + (sent * 1000) / options.rate - performance.now();
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)));
      }
    }
  } catch (err) {
    await pool.destroy(); // a caller's nextRequest threw: nothing more is sent, nothing left open
    throw err;
  }
  allSent = true;
  if (outstanding > 0) await allAnswered;
  await pool.close();
  if (callerError !== undefined) throw callerError;

  return {
    ...answerFigures(latencies, ((lastAnswerAt || performance.now()) - started) / 1000),
    statuses,
    errors,
    timeouts,
    connections: options.connections,
  };
}
