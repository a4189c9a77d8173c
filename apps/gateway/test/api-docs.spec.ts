// GET /openapi.json and the page that renders it (GET /docs), as the gateway serves them: under the same
// security headers as every answer, with the renderer's files from the package, never a CDN.
import request from 'supertest';
import { buildOpenApiDocument } from '@storefront/api-contract';
import { useGateway } from './gateway-harness';

// The gateway's own routes: what stands behind it is never asked.
const { current } = useGateway();

describe('GET /openapi.json', () => {
  it('serves the OpenAPI 3.1 document as JSON', async () => {
    const res = await request(current().app).get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.body).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument())));
    expect(res.body.openapi).toBe('3.1.0');
  });

  it('takes GET only', async () => {
    const res = await request(current().app).post('/openapi.json');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD');
  });
});

describe('GET /docs', () => {
  it('is an HTML page whose scripts and styles are files of this origin, under the strict CSP', async () => {
    const res = await request(current().app).get('/docs');
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
    const page = await request(current().app).get('/docs');
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
      const res = await request(current().app).get(link);
      expect({ link, status: res.status }).toEqual({ link, status: 200 });
      expect(res.headers['content-type']).toBe(expected[link.split('.').pop() ?? '']);
    }
  });

  it('starts the renderer on the document this gateway serves', async () => {
    const res = await request(current().app).get('/docs/start.js');
    expect(res.text).toContain('SwaggerUIBundle(');
    expect(res.text).toContain('"/openapi.json"');
  });

  it('serves no other file of the package', async () => {
    for (const path of ['/docs/index.html', '/docs/swagger-initializer.js', '/docs/../package.json']) {
      const res = await request(current().app).get(path);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
    }
  });
});
