// Starting and stopping a service: listen, then on SIGTERM stop accepting, finish what is in flight,
// close Redis and exit 0.
import { once } from 'node:events';
import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Express } from 'express';
import { ConfigError } from './config';
import { AppError, errorBody, errors } from './errors';
import { createLogger } from './logger';
import { startMetricsServer } from './metrics-server';
import { HEAD_LIMITS, type HeadLimits } from './service-app';

/** A client gets this long to send a request's line and headers... */
export const HEADERS_TIMEOUT_MS = 10_000;
/** ...and this long for the whole request, body included (16 KiB at most). Node's default is 5 minutes. */
export const REQUEST_TIMEOUT_MS = 30_000;

/** How Node's HTTP parser refusals are answered: in the contract's shape, as everything else. */
function refusalOf(err: NodeJS.ErrnoException): AppError {
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return errors.requestTimeout();
    case 'HPE_HEADER_OVERFLOW':
      return errors.headersTooLarge('too many bytes');
    default:
      return errors.invalidBody('The request is not valid HTTP.');
  }
}

function rawAnswer(error: AppError, isHead: boolean): string {
  const body = errorBody(error);
  return (
    `HTTP/1.1 ${error.status} ${http.STATUS_CODES[error.status] ?? 'Error'}\r\n` +
    'Content-Type: application/json; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${isHead ? '' : body}`
  );
}

/** What a connection has in flight: answers not yet finished, and a refusal waiting for them. */
interface ConnectionState {
  open: number;
  refused: boolean;
  afterAnswers?: () => void;
}

export interface RequestDeadlines {
  headersMs: number;
  requestMs: number;
}

/**
 * Listens on `port` (0 picks a free one) and resolves once the socket is bound. Past a deadline the
 * request is answered 408 REQUEST_TIMEOUT and its connection closes (tests shorten them).
 */
export async function listen(
  app: Express,
  port: number,
  host = '0.0.0.0',
  deadlines: RequestDeadlines = { headersMs: HEADERS_TIMEOUT_MS, requestMs: REQUEST_TIMEOUT_MS },
): Promise<Server> {
  const limits: HeadLimits = app.locals.headLimits ?? HEAD_LIMITS.public;
  const server = http.createServer(
    {
      headersTimeout: deadlines.headersMs,
      requestTimeout: deadlines.requestMs,
      // Node checks those two deadlines on this interval (30 s by default: a 30 s deadline could
      // take a minute to bite).
      connectionsCheckingInterval: Math.min(500, deadlines.headersMs / 4),
      maxHeaderSize: limits.bytes,
      // Node would answer a missing Host with an empty 400; the app answers it in the contract's shape.
      requireHostHeader: false,
    },
    app,
  );
  server.listen(port, host);
  await once(server, 'listening');
  // Longer than any client's idle keep-alive (the gateway's agent drops idle sockets after 30 s),
  // so a proxy never writes to a socket this server has just closed.
  server.keepAliveTimeout = 65_000;
  const connections = new WeakMap<Socket, ConnectionState>();
  const stateOf = (socket: Socket) => {
    let state = connections.get(socket);
    if (!state) connections.set(socket, (state = { open: 0, refused: false }));
    return state;
  };
  // While stopping, a kept-alive connection must not take new requests forever: each response then
  // says Connection: close, and the connection closes as soon as it is idle.
  const inFlight = new Set<ServerResponse>();
  const track = (req: IncomingMessage, res: ServerResponse) => {
    if (!server.listening) res.shouldKeepAlive = false;
    inFlight.add(res);
    const state = stateOf(req.socket);
    state.open++;
    res.on('close', () => {
      inFlight.delete(res);
      state.open--;
      if (state.open === 0 && state.afterAnswers) setImmediate(state.afterAnswers);
      if (!server.listening) setImmediate(() => server.closeIdleConnections());
    });
  };
  server.on('request', track);
  // An Expect other than 100-continue: Node would answer an empty 417; the app answers it instead.
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    track(req, res);
    app(req, res);
  });
  IN_FLIGHT.set(server, inFlight);
  // A request Node's parser refuses (a control character in a header, say, or headers or a body that
  // did not arrive in time) never reaches Express: answer it in the contract's shape all the same.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const state = stateOf(socket);
    const refusal = refusalOf(err);
    const answering = (socket as { _httpMessage?: ServerResponse | null })._httpMessage;
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT' && answering) {
      // A route is still reading this request's body: it is that request that timed out.
      if (!answering.headersSent) {
        answering.shouldKeepAlive = false;
        answering.statusCode = refusal.status;
        answering.setHeader('Content-Type', 'application/json; charset=utf-8');
        answering.end(errorBody(refusal), () => socket.destroy());
      } else {
        socket.destroy();
      }
      return;
    }
    if (state.refused) return; // the parser repeats its error for every later chunk
    state.refused = true;
    // A HEAD request gets the headers only: a body there would corrupt the client's parse.
    const isHead = (err as { rawPacket?: Buffer }).rawPacket?.subarray(0, 5).toString('latin1') === 'HEAD ';
    const refuse = () => {
      if (!socket.writable) {
        socket.destroy();
        return;
      }
      // Closed from our side once the answer is out; a client that never closes its side is dropped.
      socket.end(rawAnswer(refusal, isHead));
      setTimeout(() => socket.destroy(), 1_000).unref();
    };
    // Pipelined requests before the bad one are answered first: their changes were made, and the
    // refusal must not take their place on the wire.
    if (state.open > 0) state.afterAnswers = refuse;
    else refuse();
  });
  return server;
}

const IN_FLIGHT = new WeakMap<Server, Set<ServerResponse>>();

export function boundPort(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('server is not listening on a TCP port');
  return address.port;
}

/** Stops accepting, lets in-flight requests finish (at most `graceMs`), then drops what is left. */
export async function closeServer(server: Server, graceMs = 10_000): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Requests in flight finish, but their connections are not kept alive for another.
  for (const res of IN_FLIGHT.get(server) ?? []) if (!res.headersSent) res.shouldKeepAlive = false;
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), graceMs);
  timer.unref();
  await closed;
  clearTimeout(timer);
}

export interface RunningService {
  /** The port the service listens on. */
  port: number;
  /** The port of its GET /metrics, when METRICS_PORT is not 0. */
  metricsPort?: number;
  stop(): Promise<void>;
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * The body of every main.ts: start the service, stop it cleanly on SIGTERM or SIGINT (exit 0).
 * A ConfigError ends the process with its message and exit code 1.
 */
export function runService(name: string, start: () => Promise<RunningService>): void {
  // Lifecycle messages only; the service's own logger is built from its checked configuration.
  const level = LEVELS.includes(process.env.LOG_LEVEL ?? '') ? (process.env.LOG_LEVEL as string) : 'info';
  const logger = createLogger({ name, level });
  let running: RunningService | undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    try {
      await running?.stop();
      logger.info('stopped');
      process.exit(0);
    } catch (err) {
      logger.error({ err }, 'error while stopping');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  start().then(
    (service) => {
      running = service;
      logger.info({ port: service.port, metricsPort: service.metricsPort }, 'listening');
    },
    (err) => {
      if (err instanceof ConfigError) {
        logger.fatal(err.message);
      } else {
        logger.fatal({ err }, 'failed to start');
      }
      process.exit(1);
    },
  );
}

export interface ServiceListenOptions {
  port: number;
  /** GET /metrics's own port (0: no metrics served), and what it serves. */
  metricsPort: number;
  renderMetrics: () => Promise<string>;
  /** Closed in this order once requests have drained: Redis, connection pools, buffered spans. */
  closeAfter: (() => Promise<void> | void)[];
}

/**
 * How every service goes live: the app on its public port, its metrics on their own. stop() stops
 * taking requests and lets those in flight finish, closes the metrics port, then `closeAfter` in order.
 */
export async function listenService(app: Express, options: ServiceListenOptions): Promise<RunningService> {
  const metricsServer = await startMetricsServer(options.renderMetrics, options.metricsPort);
  const server = await listen(app, options.port);
  return {
    port: boundPort(server),
    metricsPort: metricsServer?.port,
    async stop() {
      await closeServer(server);
      await metricsServer?.close();
      for (const close of options.closeAfter) await close();
    },
  };
}
