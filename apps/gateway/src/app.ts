// The gateway: the only public entry. It issues sessions, checks the token on cart routes, and
// forwards /Items… and /Cart… to inventory and /Cart/checkout to checkout with a signed hand-off.
import type { Agent } from 'node:http';
import type { Express } from 'express';
import { routeLabel } from '@storefront/observability';
import {
  createServiceApp,
  jsonBody,
  methodNotAllowed,
  type IdentityHandoff,
  type Logger,
  type RequestObserver,
} from '@storefront/service-kit';
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
  agent: Agent;
  upstreamTimeoutMs: number;
  /** Sets Secure on the session cookie (NODE_ENV=production). */
  secureCookies: boolean;
  /** The request duration metric. */
  observeRequest?: RequestObserver;
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
          res.status(201).json({ token });
        })
        .all(methodNotAllowed('POST'));

      // Mount paths match as Express matches by default: case-insensitive, at a segment boundary.
      // A mount has no route pattern of its own: routeLabel names it for the request metric.
      app.use('/Items', routeLabel('/Items'), toInventory);
      app.use('/Cart/checkout', routeLabel('/Cart/checkout'), signedIn, toCheckout);
      app.use('/Cart', routeLabel('/Cart'), signedIn, toInventory);
    },
  });
}
