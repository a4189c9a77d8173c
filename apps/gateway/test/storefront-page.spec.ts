// The storefront page's files, served by the gateway at / under the strict CSP, without shadowing
// the API or changing what an unknown route or another method answers.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Express } from 'express';
import request from 'supertest';
import { useGateway } from './gateway-harness';

const { gateway: gatewayWith } = useGateway();
let pageDir: string;

function gateway(page: string | undefined): Express {
  return gatewayWith({ pageDir: page });
}

beforeAll(() => {
  pageDir = mkdtempSync(join(tmpdir(), 'storefront-page-'));
  writeFileSync(join(pageDir, 'index.html'), '<!doctype html><title>Storefront</title>');
  writeFileSync(join(pageDir, 'main.js'), 'console.log("page");');
  writeFileSync(join(pageDir, '.env'), 'SECRET=1');
});
afterAll(() => {
  rmSync(pageDir, { recursive: true, force: true });
});

describe('the storefront page at /', () => {
  it('serves index.html at / and its script, revalidated on every load', async () => {
    const app = gateway(pageDir);
    const page = await request(app).get('/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.text).toContain('<title>Storefront</title>');
    const script = await request(app).get('/main.js');
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
  });

  it('keeps the strict CSP: scripts from the page itself only, nothing inline', async () => {
    const csp = (await request(gateway(pageDir)).get('/')).headers['content-security-policy'] as string;
    const directives = new Map(csp.split(';').map((part) => [part.trim().split(/\s+/)[0], part.trim()]));
    expect(directives.get('script-src')).toBe("script-src 'self'");
    expect(directives.get('script-src-attr')).toBe("script-src-attr 'none'");
    expect(directives.get('default-src')).toBe("default-src 'self'");
    expect(directives.get('object-src')).toBe("object-src 'none'");
  });

  it('answers the JSON 404 for a file that is not there, a dotfile, and another method on /', async () => {
    const app = gateway(pageDir);
    for (const [method, path] of [
      ['get', '/nothing.js'],
      ['get', '/.env'],
      ['post', '/'],
      ['delete', '/index.html'],
    ] as const) {
      const res = await request(app)[method](path);
      expect({ path, status: res.status, code: res.body?.error?.code }).toEqual({
        path,
        status: 404,
        code: 'NOT_FOUND',
      });
    }
  });

  it('leaves the API in front: /Items still goes to inventory, /Cart still wants a session', async () => {
    const app = gateway(pageDir);
    expect((await request(app).get('/Items')).headers['x-echo-service']).toBe('inventory');
    expect((await request(app).get('/Cart')).body.error.code).toBe('UNAUTHENTICATED');
  });

  it('answers / with the JSON 404 when there is no page, or no index.html where it should be', async () => {
    for (const page of [undefined, join(pageDir, 'missing')]) {
      const res = await request(gateway(page)).get('/');
      expect({ page, status: res.status, code: res.body?.error?.code }).toEqual({
        page,
        status: 404,
        code: 'NOT_FOUND',
      });
    }
  });
});
