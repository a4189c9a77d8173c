// GET /openapi.json and the page that renders it (GET /docs), as the gateway serves them: under the same
// security headers as every answer, with the renderer's files from the package, never a CDN.
import type { Redis } from 'ioredis';
import request from 'supertest';
import { buildOpenApiDocument } from '@storefront/api-contract';
import { closeRedis, pingRedis } from '@storefront/redis';
import { TEST_SECRET, connectFastFailClient, uniquePrefix } from '@storefront/test-kit';
import { createIdentityHandoff, createLogger } from '@storefront/service-kit';
import { createApp } from '../src/app';
import { createUpstreamAgent } from '../src/proxy';
import { createSessionStore } from '../src/sessions';

const agent = createUpstreamAgent();
let redis: Redis;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  redis = await connectFastFailClient();
  app = createApp({
    sessions: createSessionStore({
      redis,
      secret: TEST_SECRET,
      prefix: uniquePrefix('api-docs'),
      ttlSeconds: 3600,
      rateLimitPerMinute: 0,
    }),
    handoff: createIdentityHandoff(TEST_SECRET),
    logger: createLogger({ name: 'gateway', level: 'silent' }),
    checkReady: () => pingRedis(redis),
    // No service behind: these routes are the gateway's own.
    inventoryUrl: 'http://127.0.0.1:9',
    checkoutUrl: 'http://127.0.0.1:9',
    agent,
    upstreamTimeoutMs: 500,
    secureCookies: false,
  });
});
afterAll(async () => {
  agent.destroy();
  await closeRedis(redis);
});

describe('GET /openapi.json', () => {
  it('serves the OpenAPI 3.1 document as JSON', async () => {
    const res = await request(app).get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.body).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument())));
    expect(res.body.openapi).toBe('3.1.0');
  });

  it('takes GET only', async () => {
    const res = await request(app).post('/openapi.json');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD');
  });
});

describe('GET /docs', () => {
  it('is an HTML page whose scripts and styles are files of this origin, under the strict CSP', async () => {
    const res = await request(app).get('/docs');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = res.headers['content-security-policy'];
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-eval');
    // No inline script: each <script> has a src, on this origin.
    const scripts = [...res.text.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, inline] of scripts) {
      expect(attributes).toMatch(/src="\/docs\/[^"]+"/);
      expect(inline.trim()).toBe('');
    }
    expect(res.text).not.toMatch(/https?:\/\//);
  });

  it('serves every file the page links to, with its content type', async () => {
    const page = await request(app).get('/docs');
    const links = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
    expect(links).toEqual(
      expect.arrayContaining(['/docs/swagger-ui-bundle.js', '/docs/start.js', '/docs/swagger-ui.css']),
    );
    const expected: Record<string, string> = {
      js: 'text/javascript; charset=utf-8',
      css: 'text/css; charset=utf-8',
      png: 'image/png',
    };
    for (const link of links) {
      const res = await request(app).get(link);
      expect({ link, status: res.status }).toEqual({ link, status: 200 });
      expect(res.headers['content-type']).toBe(expected[link.split('.').pop() ?? '']);
    }
  });

  it('starts the renderer on the document this gateway serves', async () => {
    const res = await request(app).get('/docs/start.js');
    expect(res.text).toContain('SwaggerUIBundle(');
    expect(res.text).toContain('"/openapi.json"');
  });

  it('serves no other file of the package', async () => {
    for (const path of ['/docs/index.html', '/docs/swagger-initializer.js', '/docs/../package.json']) {
      const res = await request(app).get(path);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
    }
  });
});
