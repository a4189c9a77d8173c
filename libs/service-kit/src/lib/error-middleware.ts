// The one place where an error becomes a response: {"error": {"code", "message"}}, never a stack trace.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { AppError, errorBody, errors } from './errors';

/** Unknown routes: 404 NOT_FOUND in the contract's shape. Mount after every route. */
export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(errors.notFound(req.method, req.path));
};

/** Answers 405 with the Allow header; mount with `router.route(path).all(methodNotAllowed(...))`. */
export function methodNotAllowed(...allowed: string[]): RequestHandler {
  const withHead = allowed.includes('GET') && !allowed.includes('HEAD') ? [...allowed, 'HEAD'] : allowed;
  return (req, _res, next) => next(errors.methodNotAllowed(req.method, withHead));
}

/** A path parameter with a broken %-escape (Express throws URIError): no such resource. */
function fromExpress(err: unknown): AppError | undefined {
  if (err instanceof URIError) return new AppError('NOT_FOUND', 'The path has a malformed %-escape.', 404);
  return undefined;
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) {
      // Too late for a JSON answer: let Express close the connection.
      next(err);
      return;
    }
    const known = err instanceof AppError ? err : fromExpress(err);
    const appError = known ?? new AppError('INTERNAL', 'Something went wrong on our side; it has been logged.', 500);
    if (!known) {
      logger.error({ err, reqId: req.id }, 'unhandled error');
    }
    for (const [name, value] of Object.entries(appError.headers)) res.setHeader(name, value);
    res.status(appError.status).type('application/json').send(errorBody(appError));
  };
}
