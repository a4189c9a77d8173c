// The ceiling for an Express 5 service on this machine: one route that parses the JSON body and
// answers JSON, nothing else (no Redis, no identity check, no validation, no log). Every add-to-cart
// figure is read against this one, measured in the same run with the same requests.
import express from 'express';

const app = express();
app.disable('x-powered-by');
app.disable('etag');
app.use(express.json());

app.get('/readyz', (_req, res) => {
  res.json({ status: 'ready' });
});

app.post('/Cart/Item', (req, res) => {
  const { id, quantity = 1 } = req.body as { id: string; quantity?: number };
  res.status(201).json({ cart: [{ id, quantity }] });
});

const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
// The same keep-alive timeout as the services, so no side closes connections the other still uses.
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
process.once('SIGTERM', () => server.close(() => process.exit(0)));
