// The article's approach (GET the JSON cart, change it in the process, SET it back) inside the
// storefront's own service shell: the same security headers, request log line, JSON body checks,
// identity hand-off check, body validation and Redis client settings as inventory. It is the
// like-for-like comparison for the cart design alone: what still differs from inventory is two round
// trips and JSON in the process against one round trip and a Lua script.
//
// One thing is left out in the article's favour: the hand-off's nonce is checked for its signature
// and expiry but not recorded as used, which would cost this design a third round trip (inventory
// records it inside its one script).
import { z } from 'zod';
import { requireShopper } from '@storefront/cart-cache';
import { createRedisClient, pingRedis } from '@storefront/redis';
import { ITEM_ID_PATTERN, findItem } from '@storefront/catalog';
import {
  createIdentityHandoff,
  createLogger,
  createServiceApp,
  errors,
  listen,
  parseBody,
} from '@storefront/service-kit';
import { articleCartKey, type ArticleCartLine } from './article-keys';

const secret = process.env.GATEWAY_SECRET ?? '';
const logger = createLogger({ name: 'article-shell', level: process.env.LOG_LEVEL ?? 'info' });
const redis = createRedisClient(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { name: 'article-shell' });

const addItemBody = z.strictObject({
  id: z.string().regex(ITEM_ID_PATTERN),
  quantity: z
    .number()
    .refine(Number.isInteger)
    .refine((value) => value >= 1)
    .optional(),
});

const app = createServiceApp({
  name: 'article-shell',
  logger,
  checkReady: () => pingRedis(redis),
  routes: (routes) => {
    routes.post('/Cart/Item', requireShopper(createIdentityHandoff(secret)), async (req, res) => {
      const body = parseBody(addItemBody, req.body);
      if (!findItem(body.id)) throw errors.itemNotFound(body.id);
      // The article's middleware and route, as in article-cart.ts.
      const key = articleCartKey(req.userToken ?? '');
      const cached = await redis.get(key);
      const cart: ArticleCartLine[] = cached ? JSON.parse(cached) : [];
      const line = cart.find((entry) => entry.id === body.id);
      if (line) line.quantity += body.quantity ?? 1;
      else cart.push({ id: body.id, quantity: body.quantity ?? 1 });
      await redis.set(key, JSON.stringify(cart));
      res.status(201).json({ cart });
    });
  },
});

listen(app, Number(process.env.PORT ?? 0)).then((server) => {
  process.once('SIGTERM', () => {
    server.close(() => {
      redis.disconnect();
      process.exit(0);
    });
  });
});
