// GET /metrics on a port of its own (METRICS_PORT), never on the public one: the metrics tell the
// traffic, the routes and the state of Redis, which is for the operator's scraper only. What the
// metrics are is the caller's (`render`, the observability library's registry): this is the server.
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorBody } from './errors';

const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `render()` on GET /metrics at `port`; anything else there is 404. Port 0 turns it off
 * (METRICS_PORT=0): resolves undefined. Resolves once listening; rejects if the port is taken.
 */
export async function startMetricsServer(
  render: () => Promise<string>,
  port: number,
  host = '0.0.0.0',
): Promise<MetricsServer | undefined> {
  if (port === 0) return undefined;
  const server: Server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?', 1)[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'Content-Type': 'application/json; charset=utf-8' });
      res.end(errorBody({ code: 'NOT_FOUND', message: 'Only GET /metrics is served here.' }));
      return;
    }
    render().then(
      (text) => {
        res.writeHead(200, { 'Content-Type': CONTENT_TYPE });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      () => {
        res.writeHead(500, { 'Content-Type': 'application/json; charset=utf-8' });
        res.end(errorBody({ code: 'INTERNAL', message: 'The metrics could not be read.' }));
      },
    );
  });
  // A scraper keeps its connection alive between scrapes; the server must still close promptly.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException) => {
      reject(new Error(`METRICS_PORT ${port}: ${err.code === 'EADDRINUSE' ? 'the port is in use' : err.message}`));
    };
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
