// The API as a document and as a page: GET /openapi.json (built from the schemas that validate the
// requests) and GET /docs, Swagger UI rendering it. The renderer's files come from the swagger-ui-dist
// package in node_modules, never from a CDN; the page loads them as files of its own origin, with no
// inline script, so it runs under the same strict Content-Security-Policy as every other answer.
import { dirname } from 'node:path';
import { Router } from 'express';
import { buildOpenApiDocument } from '@storefront/api-contract';
import { methodNotAllowed } from '@storefront/service-kit';

export const API_DOCUMENT_PATH = '/openapi.json';
export const API_DOCS_PATH = '/docs';

// The only files of the package the page needs (the package also holds a demo page and source maps).
const RENDERER_FILES = ['swagger-ui-bundle.js', 'swagger-ui.css', 'favicon-32x32.png', 'favicon-16x16.png'];

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Storefront API</title>
    <link rel="stylesheet" href="${API_DOCS_PATH}/swagger-ui.css" />
    <link rel="icon" type="image/png" href="${API_DOCS_PATH}/favicon-32x32.png" sizes="32x32" />
    <link rel="icon" type="image/png" href="${API_DOCS_PATH}/favicon-16x16.png" sizes="16x16" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="${API_DOCS_PATH}/swagger-ui-bundle.js"></script>
    <script src="${API_DOCS_PATH}/start.js"></script>
  </body>
</html>
`;

// A file of its own rather than an inline script: the CSP allows scripts from this origin only.
const START_SCRIPT = `window.ui = SwaggerUIBundle({
  url: ${JSON.stringify(API_DOCUMENT_PATH)},
  dom_id: '#swagger-ui',
  deepLinking: true,
});
`;

export function apiDocsRoutes(): Router {
  const document = buildOpenApiDocument();
  const rendererDir = dirname(require.resolve('swagger-ui-dist/package.json'));
  const router = Router();

  router
    .route(API_DOCUMENT_PATH)
    .get((_req, res) => {
      res.json(document);
    })
    .all(methodNotAllowed('GET'));
  router
    .route(API_DOCS_PATH)
    .get((_req, res) => {
      res.type('html').send(PAGE);
    })
    .all(methodNotAllowed('GET'));
  router
    .route(`${API_DOCS_PATH}/start.js`)
    .get((_req, res) => {
      res.type('js').send(START_SCRIPT);
    })
    .all(methodNotAllowed('GET'));
  for (const file of RENDERER_FILES) {
    router
      .route(`${API_DOCS_PATH}/${file}`)
      .get((_req, res, next) => {
        // The package's version changes these files; a day in a browser's cache is plenty.
        res.sendFile(file, { root: rendererDir, maxAge: '1d' }, (err) => err && next(err));
      })
      .all(methodNotAllowed('GET'));
  }
  return router;
}
