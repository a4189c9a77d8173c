// JSON logs: one line per request, carrying the request id.
import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import pino, { type Logger } from 'pino';
import './request-context';

export type { Logger } from 'pino';

/**
 * Writes are asynchronous already: pino's default destination (sonic-boom, sync: false) hands each line
 * to a background write and never blocks a request on the disk, and pino writes what is still buffered
 * synchronously as the process exits (process.exit after SIGTERM, an uncaught exception, a failed start).
 */
export function createLogger(options: { name: string; level: string }): Logger {
  return pino({ level: options.level, base: { service: options.name } });
}

export const REQUEST_ID_HEADER = 'x-request-id';
// 1 to 128 visible ASCII characters (docs/CONTRACT.md "Operations"); anything else is replaced.
const VALID_REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/** Told of every answered request, with its duration (the request metrics). */
export type RequestObserver = (req: Request, res: Response, seconds: number) => void;

/**
 * Takes a valid incoming X-Request-Id or makes one, echoes it, and logs one line when the response
 * ends; an answered request is also passed to `observe`, timed by the same clock.
 */
export function requestLogger(logger: Logger, observe?: RequestObserver): RequestHandler {
  return (req, res, next) => {
    const incoming = req.headers[REQUEST_ID_HEADER];
    req.id = typeof incoming === 'string' && VALID_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader('X-Request-Id', req.id);
    const started = process.hrtime.bigint();
    res.on('close', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      // The full path (a mounted router's req.path is relative); the query string is left out: paths
      // here never carry secrets, queries might one day.
      const path = req.originalUrl.split('?', 1)[0];
      const line = { reqId: req.id, method: req.method, path, status: res.statusCode, ms: Math.round(ms * 10) / 10 };
      if (res.writableFinished) {
        observe?.(req, res, ms / 1000);
        logger.info(line, 'request');
      } else {
        // The connection closed before the answer was out, mostly a client that went away: no
        // status was given (statusCode would claim a 200 nobody sent), and nothing is wrong here.
        logger.info(
          { ...line, status: res.headersSent ? res.statusCode : undefined, aborted: true },
          'request aborted',
        );
      }
    });
    next();
  };
}
