import http from 'node:http';
import { freePort } from '@storefront/test-kit';
import { startMetricsServer } from '@storefront/service-kit';

const render = async () => '# HELP up Up.\n# TYPE up gauge\nup 1\n';

describe('startMetricsServer', () => {
  it('serves GET /metrics in the text format, and 404 for anything else', async () => {
    const server = await startMetricsServer(render, await freePort(), '127.0.0.1');
    if (!server) throw new Error('expected a server');
    try {
      const base = `http://127.0.0.1:${server.port}`;
      const metrics = await fetch(`${base}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(await metrics.text()).toContain('\nup 1\n');
      for (const [method, path] of [
        ['GET', '/'],
        ['GET', '/metrics/x'],
        ['POST', '/metrics'],
      ]) {
        const other = await fetch(`${base}${path}`, { method });
        expect({
          method,
          path,
          status: other.status,
          code: ((await other.json()) as { error: { code: string } }).error.code,
        }).toEqual({
          method,
          path,
          status: 404,
          code: 'NOT_FOUND',
        });
      }
    } finally {
      await server.close();
    }
  });

  it('is off for port 0', async () => {
    expect(await startMetricsServer(render, 0)).toBeUndefined();
  });

  it('refuses a port in use, naming METRICS_PORT', async () => {
    const taken = http.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      await expect(startMetricsServer(render, port, '127.0.0.1')).rejects.toThrow(
        `METRICS_PORT ${port}: the port is in use`,
      );
    } finally {
      taken.close();
    }
  });

  it('closes with a scraper’s keep-alive connection still open', async () => {
    const server = await startMetricsServer(render, await freePort(), '127.0.0.1');
    if (!server) throw new Error('expected a server');
    const agent = new http.Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) => {
      http
        .get(`http://127.0.0.1:${server.port}/metrics`, { agent }, (res) => res.resume().on('end', resolve))
        .on('error', reject);
    });
    await server.close(); // resolves: the idle connection does not hold it open
    agent.destroy();
  });
});
