// Every answer the end-to-end suite gets is checked against the OpenAPI document the gateway serves: its
// route and status must be listed there, its body must match the documented schema (ajv's JSON Schema
// 2020-12 build) and its required headers must be present. A mismatch throws, failing the test. Each route
// and status checked is noted (in STOREFRONT_API_CHECKS_DIR, when the run sets it), so that the run can
// say at its end how much of the document the suite exercised (api-coverage-reporter.js).
import { appendFileSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import { buildOpenApiDocument } from '@storefront/api-contract';

type Json = Record<string, unknown>;
interface DocumentedResponse {
  content?: Record<string, { schema?: Json }>;
  headers?: Record<string, Json>;
}

/** What the check needs of an answer: fetch's (support/http.ts) or node:http's (the hostile suite's). */
export interface CheckedAnswer {
  status: number;
  headers: Headers | IncomingHttpHeaders;
  text: string;
}

function headerOf(answer: CheckedAnswer, name: string): string | null {
  const { headers } = answer;
  if (headers instanceof Headers) return headers.get(name);
  const value = headers[name.toLowerCase()];
  return value === undefined ? null : Array.isArray(value) ? value.join(', ') : String(value);
}

export const OTHER_PATH = '(a path the document does not list)';
const OTHER_METHOD = 'x-unlisted.otherMethod';

// The document, with every $ref to a component schema pointing at one registered schema, so that each
// response schema compiles on its own in strict mode (a keyword ajv does not know is an error, not ignored).
const document = JSON.parse(
  JSON.stringify(buildOpenApiDocument()).replaceAll('"#/components/schemas/', '"components#/$defs/'),
) as Json & { paths: Record<string, Record<string, Json>>; components: Record<string, Record<string, Json>> };
const unlisted = document['x-unlisted'] as Record<'otherPath' | 'otherMethod', Json>;
const ajv = new Ajv2020({ strict: true, allErrors: true });
ajv.addSchema({ $id: 'components', $defs: document.components.schemas });
const compiled = new Map<Json, ValidateFunction>();

function resolve<T>(value: Json): T {
  const ref = value.$ref;
  if (typeof ref !== 'string') return value as T;
  const [, section, name] = /^#\/components\/([^/]+)\/([^/]+)$/.exec(ref) ?? [];
  return document.components[section]?.[name] as T;
}

const segmentsOf = (path: string) => path.split('/').filter((segment, i, all) => i < all.length - 1 || segment);

/**
 * The document's path template of a request path, matched as Express matches paths: case-insensitive,
 * a trailing slash allowed.
 */
export function templateOf(path: string): string | undefined {
  // A request target in absolute form (http://host/Items) names the same path.
  const wanted = segmentsOf(path.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '').replace(/[?#].*$/, ''));
  return Object.keys(document.paths).find((template) => {
    const pattern = segmentsOf(template);
    return (
      pattern.length === wanted.length &&
      pattern.every((part, i) =>
        /^\{.+\}$/.test(part) ? wanted[i] !== '' : part.toLowerCase() === wanted[i].toLowerCase(),
      )
    );
  });
}

function operationOf(method: string, path: string): { name: string; operation: Json } {
  const template = templateOf(path);
  if (template === undefined) return { name: OTHER_PATH, operation: unlisted.otherPath };
  // Express answers HEAD with the GET route, without the body.
  const listed = document.paths[template][method === 'HEAD' ? 'get' : method.toLowerCase()];
  if (listed === undefined) return { name: `${method} ${template} (${OTHER_METHOD})`, operation: unlisted.otherMethod };
  return { name: `${method === 'HEAD' ? 'GET' : method} ${template}`, operation: listed };
}

function problemsWith(method: string, operation: Json, answer: CheckedAnswer): string[] {
  const responses = operation.responses as Record<string, Json>;
  const listed = responses[String(answer.status)];
  if (listed === undefined) return [`status ${answer.status} is not documented here`];
  const response = resolve<DocumentedResponse>(listed);
  const problems: string[] = [];
  for (const [name, header] of Object.entries(response.headers ?? {})) {
    const { required, schema } = resolve<{ required?: boolean; schema?: Json }>(header);
    const value = headerOf(answer, name);
    if (value === null) {
      if (required) problems.push(`the header ${name} is missing`);
    } else if (schema && !validatorOf(schema)(value)) problems.push(`the header ${name}: ${value} does not match`);
  }
  const media = Object.keys(response.content ?? {})[0];
  if (media === undefined || method === 'HEAD') return problems;
  const type = headerOf(answer, 'content-type') ?? '';
  if (!type.startsWith(media)) return [...problems, `content-type ${type || '(none)'} is not ${media}`];
  const schema = response.content?.[media]?.schema;
  if (media !== 'application/json' || schema === undefined) return problems;
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    return [...problems, `the body is not JSON: ${answer.text.slice(0, 200)}`];
  }
  const validate = validatorOf(schema);
  if (!validate(body)) problems.push(`the body ${answer.text.slice(0, 300)} ${ajv.errorsText(validate.errors)}`);
  return problems;
}

function validatorOf(schema: Json): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

const noted = new Set<string>();

/** Notes a route and status the suite exercised, once per process, for the coverage report. */
function note(name: string, status: number): void {
  const dir = process.env.STOREFRONT_API_CHECKS_DIR;
  const line = `${name} ${status}`;
  if (!dir || noted.has(line)) return;
  if (noted.size === 0) writeFileSync(join(dir, 'documented.json'), JSON.stringify(documentedPairs()));
  noted.add(line);
  appendFileSync(join(dir, `checked-${process.pid}.txt`), `${line}\n`);
}

/** Every route and status the document lists, as `METHOD /template status`. */
export function documentedPairs(): string[] {
  return Object.entries(document.paths).flatMap(([template, item]) =>
    Object.entries(item)
      .filter(([method]) => method !== 'parameters')
      .flatMap(([method, operation]) =>
        Object.keys(operation.responses as Json).map((status) => `${method.toUpperCase()} ${template} ${status}`),
      ),
  );
}

/** Throws when the answer to `method path` is not what the document says; notes the check otherwise. */
export function checkAgainstApiDocument(method: string, path: string, answer: CheckedAnswer): void {
  const { name, operation } = operationOf(method.toUpperCase(), path);
  const problems = problemsWith(method.toUpperCase(), operation, answer);
  if (problems.length > 0) {
    throw new Error(`${method} ${path} answered ${answer.status}, which the OpenAPI document (${name}) does not allow:
  ${problems.join('\n  ')}`);
  }
  note(name, answer.status);
}

/** The answer, once checked against the document (for a promise chain). */
export function checkedAgainstApiDocument<A extends CheckedAnswer>(
  request: { method: string; path: string },
  answer: A,
): A {
  checkAgainstApiDocument(request.method, request.path, answer);
  return answer;
}
