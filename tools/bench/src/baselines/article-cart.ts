// A faithful TypeScript port of the article's approach, kept as a baseline and never as product code:
// a middleware GETs the cart's JSON string from Redis and JSON.parses it onto req.cart, the route
// pushes a line or increments one, and SETs the whole JSON back. Two round trips per add, and two
// concurrent adds for one shopper read the same cart, so the later SET overwrites the earlier one:
// a lost update. Nothing here is "fixed": the bench measures it as it is.
//
// The article takes the shopper from the request as given; here that is the `x-user-token` header.
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { Redis } from 'ioredis';
import { articleCartKey, type ArticleCartLine } from './article-keys';

interface CartRequest extends Request {
  userToken?: string;
  cart?: ArticleCartLine[];
}

/** The article's cart app on `redis`; the bench runs it as a process (below), its test in-process. */
export function createArticleCart(redis: Redis): Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use(express.json());

  app.get('/readyz', (_req, res) => {
    res.status(redis.status === 'ready' ? 200 : 503).json({ status: redis.status });
  });

  // The article's cart middleware: every cart request starts by reading the whole cart.
  app.use(async (req: CartRequest, _res: Response, next: NextFunction) => {
    req.userToken = req.get('x-user-token');
    const cached = await redis.get(articleCartKey(req.userToken ?? ''));
    req.cart = cached ? (JSON.parse(cached) as ArticleCartLine[]) : [];
    next();
  });

  app.get('/Cart', (req: CartRequest, res: Response) => {
    res.json({ cart: req.cart });
  });

  app.post('/Cart/Item', async (req: CartRequest, res: Response) => {
    const { id, quantity = 1 } = req.body as { id: string; quantity?: number };
    const cart = req.cart ?? [];
    const line = cart.find((entry) => entry.id === id);
    if (line) line.quantity += quantity;
    else cart.push({ id, quantity });
    await redis.set(articleCartKey(req.userToken ?? ''), JSON.stringify(cart));
    res.status(201).json({ cart });
  });
  return app;
}

if (require.main === module) {
  // Named, so that its connection is told from the storefront's in Redis's CLIENT LIST.
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { connectionName: 'article' });
  const server = createArticleCart(redis).listen(Number(process.env.PORT ?? 0), '127.0.0.1');
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  process.once('SIGTERM', () => {
    server.close(() => {
      redis.disconnect();
      process.exit(0);
    });
  });
}
