// Who is asking: the token from `Authorization: Bearer` (which wins) or the `sid` cookie, checked
// against the sessions this gateway issued. Anything else is 401 UNAUTHENTICATED.
import type { Request, RequestHandler } from 'express';
import { errors } from '@storefront/service-kit';
import type { SessionStore } from './sessions';

export const SESSION_COOKIE = 'sid';

function tokenOf(req: Request): string | undefined {
  const authorization = req.headers.authorization;
  if (authorization !== undefined) {
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
    return match?.[1] ?? '';
  }
  for (const pair of (req.headers.cookie ?? '').split(';')) {
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq).trim() === SESSION_COOKIE) return pair.slice(eq + 1).trim();
  }
  return undefined;
}

/** Sets res.locals.shopperId for a valid session; refuses the request otherwise. */
export function authenticate(sessions: SessionStore): RequestHandler {
  return async (req, res, next) => {
    const token = tokenOf(req);
    const shopperId = token ? await sessions.verify(token) : undefined;
    if (shopperId === undefined) {
      next(errors.unauthenticated());
      return;
    }
    res.locals.shopperId = shopperId;
    next();
  };
}
