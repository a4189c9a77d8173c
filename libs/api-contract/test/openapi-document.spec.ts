// The document is valid OpenAPI 3.1, covers every route of the contract, and its schemas are the ones the
// services validate with: what the zod schema accepts or refuses, the document's schema does too.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { ERROR_CODES, addItemBody, buildOpenApiDocument, checkoutBody, setItemBody } from '@storefront/api-contract';

const document = buildOpenApiDocument();

/**
 * What @seriousme/openapi-schema-validator says of the document. It is an ES module, which Jest's
 * CommonJS runtime cannot load on Node 20, so it runs as its own command line, on a file.
 */
function validateOpenApi(doc: unknown): { valid: boolean; errors?: unknown } {
  const cli = join(
    dirname(require.resolve('@seriousme/openapi-schema-validator/package.json')),
    'bin/validate-api-cli.js',
  );
  const dir = mkdtempSync(join(tmpdir(), 'openapi-'));
  try {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(doc));
    try {
      return JSON.parse(execFileSync(process.execPath, [cli, file], { encoding: 'utf8' }));
    } catch (err) {
      // It exits 1 on an invalid document, having printed why.
      return JSON.parse((err as { stdout: string }).stdout);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The document's component schema `name`, compiled with the rest of the document for its $refs. */
function componentValidator(name: string) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema({ ...document, $id: 'openapi.json' });
  return ajv.compile({ $ref: `openapi.json#/components/schemas/${name}` });
}

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.1', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(validateOpenApi(document)).toEqual({ valid: true });
  });

  it('is refused by the same validator when it is not (the check can fail)', () => {
    const broken = { ...document, info: { title: 'Storefront' } };
    expect(validateOpenApi(broken).valid).toBe(false);
  });

  it('holds only schemas that compile as JSON Schema 2020-12, unknown keywords refused', () => {
    // The components become the $defs of one schema, and every $ref points there.
    const text = JSON.stringify(document).replaceAll('"#/components/schemas/', '"components#/$defs/');
    const rewritten = JSON.parse(text) as typeof document;
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    ajv.addSchema({ $id: 'components', $defs: rewritten.components.schemas });
    const inline: object[] = [];
    const collect = (value: unknown): void => {
      if (typeof value !== 'object' || value === null) return;
      for (const [key, inner] of Object.entries(value)) {
        if (key === 'schema' && typeof inner === 'object') inline.push(inner as object);
        else collect(inner);
      }
    };
    collect({ paths: rewritten.paths, components: { ...rewritten.components, schemas: {} } });
    expect(inline.length).toBeGreaterThan(20);
    expect(() => ajv.getSchema('components')).not.toThrow();
    for (const schema of inline) expect(() => ajv.compile(schema)).not.toThrow();
  });

  it('lists every public route of the contract', () => {
    const operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((key) => key !== 'parameters')
        .map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual(
      [
        'POST /session',
        'GET /Items',
        'GET /Items/{id}',
        'GET /Cart',
        'POST /Cart/Item',
        'PUT /Cart/Item/{id}',
        'DELETE /Cart/Item/{id}',
        'PATCH /Cart/checkout',
        'GET /healthz',
        'GET /readyz',
        'GET /openapi.json',
        'GET /docs',
      ].sort(),
    );
  });

  it('documents every error code of the contract on some route', () => {
    const text = JSON.stringify(document);
    for (const code of ERROR_CODES) expect(text).toContain(`"${code}"`);
  });

  it('says which answers carry Retry-After, and takes an Idempotency-Key on checkout', () => {
    const checkout = (document.paths['/Cart/checkout'] as { patch: { responses: Record<string, unknown> } }).patch;
    expect(JSON.stringify(checkout.responses['409'])).toContain('Retry-After');
    expect(JSON.stringify(checkout)).toContain('#/components/parameters/IdempotencyKey');
    const responses = document.components.responses as Record<string, unknown>;
    for (const name of ['RateLimited', 'Unavailable', 'CartUnavailable'])
      expect(JSON.stringify(responses[name])).toContain('Retry-After');
  });

  it.each([
    ['AddItemRequest', { id: 'badger-mug' }, addItemBody],
    ['AddItemRequest', { id: 'badger-mug', quantity: 3 }, addItemBody],
    ['AddItemRequest', { id: 'badger-mug', quantity: 0 }, addItemBody],
    ['AddItemRequest', { id: 'badger-mug', quantity: 1.5 }, addItemBody],
    ['AddItemRequest', { id: 'badger mug' }, addItemBody],
    ['AddItemRequest', { id: 'badger-mug', colour: 'red' }, addItemBody],
    ['SetItemRequest', { quantity: 0 }, setItemBody],
    ['SetItemRequest', { quantity: -1 }, setItemBody],
    ['SetItemRequest', { quantity: '2' }, setItemBody],
    ['SetItemRequest', {}, setItemBody],
    ['CheckoutRequest', { payment: { token: 'tok_visa' } }, checkoutBody],
    ['CheckoutRequest', { payment: { token: '' } }, checkoutBody],
    ['CheckoutRequest', { payment: {} }, checkoutBody],
    ['CheckoutRequest', { payment: { token: 'tok_visa', cvc: '123' } }, checkoutBody],
  ] as const)('%s agrees with the zod schema on %j', (name, body, schema) => {
    expect(componentValidator(name)(body)).toBe(schema.safeParse(body).success);
  });
});
