// Who is asking: the token from `Authorization: Bearer` (which wins) or the `sid` cookie, checked
// against the sessions this gateway issued. Anything else is 401 UNAUTHENTICATED.
import type { Request, RequestHandler, Response } from 'express';
import { errors } from '@storefront/service-kit';
import type { SessionStore } from './sessions';

export const SESSION_COOKIE = 'sid';

export interface SessionCookieOptions {
  /** Secure (HTTPS only): in production. */
  secure: boolean;
  maxAgeSeconds: number;
}

/** The `sid` cookie: HttpOnly, SameSite=Lax, Path=/, living as long as the session does. */
export function setSessionCookie(res: Response, token: string, options: SessionCookieOptions): void {
  res.cookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure: options.secure,
    maxAge: options.maxAgeSeconds * 1000,
  });
}

function tokenOf(req: Request): { token: string; from: 'header' | 'cookie' } | undefined {
  const authorization = req.headers.authorization;
  if (authorization !== undefined) {
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
    return { token: match?.[1] ?? '', from: 'header' };
  }
  for (const pair of (req.headers.cookie ?? '').split(';')) {
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq).trim() === SESSION_COOKIE)
      return { token: pair.slice(eq + 1).trim(), from: 'cookie' };
  }
  return undefined;
}

/**
 * Sets res.locals.shopperId for a valid session; refuses the request otherwise. The session's expiry
 * slides on use, in Redis and, for a cookie, in the browser too.
 */
export function authenticate(sessions: SessionStore, cookie: SessionCookieOptions): RequestHandler {
  return async (req, res, next) => {
    const presented = tokenOf(req);
    const shopperId = presented?.token ? await sessions.verify(presented.token) : undefined;
    if (presented === undefined || shopperId === undefined) {
      next(errors.unauthenticated());
      return;
    }
    if (presented.from === 'cookie') setSessionCookie(res, presented.token, cookie);
    res.locals.shopperId = shopperId;
    next();
  };
}
