// The gateway: the only public entry. It issues sessions, checks the token on cart routes, and
// forwards /Items… and /Cart… to inventory and /Cart/checkout to checkout with a signed hand-off.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Express } from 'express';
import type { SessionResponse } from '@storefront/api-contract';
import type { Dispatcher } from 'undici';
import { routeLabel } from '@storefront/observability';
import {
  createServiceApp,
  jsonBody,
  methodNotAllowed,
  type IdentityHandoff,
  type Logger,
  type RequestObserver,
} from '@storefront/service-kit';
import { apiDocsRoutes } from './api-docs';
import { authenticate, setSessionCookie } from './authenticate';
import { proxyTo } from './proxy';
import type { SessionStore } from './sessions';

export interface GatewayDeps {
  sessions: SessionStore;
  handoff: IdentityHandoff;
  logger: Logger;
  checkReady: () => Promise<unknown>;
  inventoryUrl: string;
  checkoutUrl: string;
  agent: Dispatcher;
  upstreamTimeoutMs: number;
  /** Sets Secure on the session cookie (NODE_ENV=production). */
  secureCookies: boolean;
  /** The request duration metric. */
  observeRequest?: RequestObserver;
  /** The storefront page's built files, served at `/`; none when undefined or without an index.html. */
  pageDir?: string;
}

export function createApp(deps: GatewayDeps): Express {
  const { sessions } = deps;
  const proxyOptions = {
    handoff: deps.handoff,
    agent: deps.agent,
    timeoutMs: deps.upstreamTimeoutMs,
    logger: deps.logger,
  };
  const toInventory = proxyTo(deps.inventoryUrl, proxyOptions);
  const toCheckout = proxyTo(deps.checkoutUrl, proxyOptions);
  const cookie = { secure: deps.secureCookies, maxAgeSeconds: sessions.ttlSeconds };
  const signedIn = authenticate(sessions, cookie);

  return createServiceApp({
    name: 'gateway',
    exposure: 'public',
    parseJsonBodies: false,
    logger: deps.logger,
    checkReady: deps.checkReady,
    observeRequest: deps.observeRequest,
    routes: (app) => {
      app
        .route('/session')
        .post(jsonBody(), async (req, res) => {
          const token = await sessions.create(req.socket.remoteAddress ?? 'unknown');
          setSessionCookie(res, token, cookie);
          res.status(201).json({ token } satisfies SessionResponse);
        })
        .all(methodNotAllowed('POST'));

      // The API described (GET /openapi.json) and rendered for a person (GET /docs).
      app.use(apiDocsRoutes());

      // Mount paths match as Express matches by default: case-insensitive, at a segment boundary.
      // A mount has no route pattern of its own: routeLabel names it for the request metric.
      app.use('/Items', routeLabel('/Items'), toInventory);
      app.use('/Cart/checkout', routeLabel('/Cart/checkout'), signedIn, toCheckout);
      app.use('/Cart', routeLabel('/Cart'), signedIn, toInventory);

      // The storefront page, after the API so that no file can shadow a route.
      if (deps.pageDir !== undefined) servePage(app, deps.pageDir, deps.logger);
    },
  });
}

/**
 * The page's files at /, GET and HEAD only: any other method, or a file that is not there, falls
 * through to the JSON 404. The API works without the page: a missing build is a warning.
 */
function servePage(app: Express, pageDir: string, logger: Logger): void {
  if (!existsSync(join(pageDir, 'index.html'))) {
    logger.warn({ pageDir }, 'no storefront page there: GET / is 404');
    return;
  }
  app.use(
    express.static(pageDir, {
      dotfiles: 'ignore',
      redirect: false,
      // Revalidate every time (Last-Modified): a new deploy shows at once, with no stale script.
      setHeaders: (res) => {
        res.setHeader('Cache-Control', 'no-cache');
        // Called only for a file it serves: the request metric names the page's mount, not the file.
        res.locals.metricsRoute = '/';
      },
    }),
  );
}
