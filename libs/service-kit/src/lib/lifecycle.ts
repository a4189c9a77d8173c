// Starting and stopping a service: listen, then on SIGTERM stop accepting, finish what is in flight,
// close Redis and exit 0.
import { once } from 'node:events';
import type { Server, ServerResponse } from 'node:http';
import type { Express } from 'express';
import { ConfigError } from './config';
import { createLogger } from './logger';

/** Listens on `port` (0 picks a free one) and resolves once the socket is bound. */
export async function listen(app: Express, port: number, host = '0.0.0.0'): Promise<Server> {
  const server = app.listen(port, host);
  await once(server, 'listening');
  // Longer than any client's idle keep-alive (the gateway's agent drops idle sockets after 30 s),
  // so a proxy never writes to a socket this server has just closed.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  // A client gets 30 s to send a whole request (a 16 KiB body at most); Node's default is 5 minutes.
  server.requestTimeout = 30_000;
  // While stopping, a kept-alive connection must not take new requests forever: each response then
  // says Connection: close, and the connection closes as soon as it is idle.
  const inFlight = new Set<ServerResponse>();
  server.on('request', (_req, res: ServerResponse) => {
    if (!server.listening) res.shouldKeepAlive = false;
    inFlight.add(res);
    res.on('close', () => {
      inFlight.delete(res);
      if (!server.listening) setImmediate(() => server.closeIdleConnections());
    });
  });
  IN_FLIGHT.set(server, inFlight);
  // A request Node's parser refuses (a control character in a header, say) never reaches Express:
  // answer it in the contract's shape all the same.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    const body = JSON.stringify({
      error: tooLarge
        ? { code: 'PAYLOAD_TOO_LARGE', message: 'The request headers are too large.' }
        : { code: 'INVALID_BODY', message: 'The request is not valid HTTP.' },
    });
    // A HEAD request gets the headers only: a body there would corrupt the client's parse.
    const isHead = (err as { rawPacket?: Buffer }).rawPacket?.subarray(0, 5).toString('latin1') === 'HEAD ';
    socket.end(
      `HTTP/1.1 ${tooLarge ? '413 Payload Too Large' : '400 Bad Request'}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${isHead ? '' : body}`,
    );
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
      logger.info({ port: service.port }, 'listening');
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
