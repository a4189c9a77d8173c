// The Express app every service starts from: security headers, request log with request id, /healthz and /readyz,
// then the service's own routes, then the JSON 404 and the error middleware.
import { hostname } from 'node:os';
import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { errorHandler, methodNotAllowed, notFoundHandler } from './error-middleware';
import { errors } from './errors';
import { jsonBody } from './json-body';
import { requestLogger } from './logger';

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
}

export function createServiceApp({ name, logger, checkReady, routes, parseJsonBodies = true }: ServiceAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  // Security headers on every response, errors included (they are set before any route runs).
  app.use(helmet());
  // Which replica answered: shows the load spreading over instances (`--scale`).
  const servedBy = `${name}/${hostname()}`;
  app.use((_req, res, next) => {
    res.setHeader('X-Served-By', servedBy);
    next();
  });
  app.use(requestLogger(logger));
  if (parseJsonBodies) app.use(jsonBody());

  app.route('/healthz').get((_req, res) => {
    res.json({ status: 'ok' });
  }).all(methodNotAllowed('GET'));
  app.route('/readyz').get(async (_req, res, next) => {
    try {
      await checkReady();
    } catch {
      next(errors.cartUnavailable());
      return;
    }
    res.json({ status: 'ready' });
  }).all(methodNotAllowed('GET'));

  routes(app);

  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return app;
}
