// The Express app every service starts from: security headers, request log with request id, /healthz and /readyz,
// then the service's own routes, then the JSON 404 and the error middleware.
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import express, { type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { errorHandler, methodNotAllowed, notFoundHandler } from './error-middleware';
import { errors } from './errors';
import { jsonBody } from './json-body';
import { requestLogger, type RequestObserver } from './logger';

/**
 * What a request's head may hold. The gateway adds its own headers (the hand-off, the request id) to
 * what a client sent, so a service takes more than the public gateway lets through: the gateway's own
 * headers always reach the service. Past either limit: 431 HEADERS_TOO_LARGE.
 */
export interface HeadLimits {
  /** The request line and headers together, in bytes (Node's parser enforces it). */
  bytes: number;
  /** How many header lines. */
  headers: number;
}

export const HEAD_LIMITS = {
  public: { bytes: 16 * 1024, headers: 100 },
  internal: { bytes: 32 * 1024, headers: 128 },
} as const satisfies Record<string, HeadLimits>;

/** Refusals of a request's head, before any route runs. */
function checkHead(limits: HeadLimits): RequestHandler {
  return (req, res, next) => {
    const expect = req.headers.expect;
    if (expect !== undefined && !/^\s*100-continue\s*$/i.test(expect)) {
      res.shouldKeepAlive = false; // a body may follow that nobody will read
      next(errors.expectationFailed());
      return;
    }
    if (req.httpVersion === '1.1' && req.headers.host === undefined) {
      res.shouldKeepAlive = false;
      next(errors.invalidBody('An HTTP/1.1 request needs a Host header.'));
      return;
    }
    if (req.rawHeaders.length / 2 > limits.headers) {
      res.shouldKeepAlive = false;
      next(errors.headersTooLarge(`at most ${limits.headers} headers`));
      return;
    }
    next();
  };
}

/**
 * The headers helmet() sets, worked out once by running it against a recorder: with its default options
 * they depend on nothing in the request, and setting them from a list costs a fraction of running its
 * dozen middlewares on every request.
 */
export function helmetHeaders(): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  const recorder = {
    setHeader(name: string, value: string | number | string[]) {
      headers[name] = value;
    },
    removeHeader(name: string) {
      delete headers[name];
    },
  };
  helmet()({} as IncomingMessage, recorder as unknown as ServerResponse, (err?: unknown) => {
    if (err) throw err;
  });
  return headers;
}

export interface ServiceAppOptions {
  /** The service's name, reported with its instance (the host name: the container id under Docker). */
  name: string;
  logger: Logger;
  /** Resolves when the service can serve (Redis answers a PING); rejects otherwise. */
  checkReady: () => Promise<unknown>;
  /** Mounts the service's own routes. */
  routes: (app: Express) => void;
  /**
   * Checks and parses a JSON body on every route (415, 413, 400 before any route runs). Off for the
   * gateway, which streams bodies through to the services untouched.
   */
  parseJsonBodies?: boolean;
  /** 'public' for the gateway, which faces clients; 'internal' (the default) for a service behind it. */
  exposure?: keyof typeof HEAD_LIMITS;
  /** Told of every answered request (the request duration metric). */
  observeRequest?: RequestObserver;
}

export function createServiceApp(options: ServiceAppOptions): Express {
  const { name, logger, checkReady, routes, parseJsonBodies = true, exposure = 'internal', observeRequest } = options;
  const app = express();
  // listen() sizes Node's parser from the same limits.
  app.locals.headLimits = HEAD_LIMITS[exposure];
  app.disable('x-powered-by');
  app.disable('etag');
  // Security headers on every response, errors included (they are set before any route runs), and
  // which replica answered: shows the load spreading over instances (`--scale`).
  const headers = Object.entries({ ...helmetHeaders(), 'X-Served-By': `${name}/${hostname()}` });
  app.use((_req, res, next) => {
    for (const [header, value] of headers) res.setHeader(header, value as string);
    next();
  });
  app.use(requestLogger(logger, observeRequest));
  app.use(checkHead(HEAD_LIMITS[exposure]));
  if (parseJsonBodies) app.use(jsonBody());

  app
    .route('/healthz')
    .get((_req, res) => {
      res.json({ status: 'ok' });
    })
    .all(methodNotAllowed('GET'));
  app
    .route('/readyz')
    .get(async (_req, res, next) => {
      try {
        await checkReady();
      } catch {
        next(errors.cartUnavailable());
        return;
      }
      res.json({ status: 'ready' });
    })
    .all(methodNotAllowed('GET'));

  routes(app);

  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return app;
}
