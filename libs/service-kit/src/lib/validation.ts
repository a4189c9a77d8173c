// Request bodies are checked against a zod schema; any mismatch is 400 INVALID_BODY with a message
// that names the field. Client input in the message (an unknown field's name) is cut short.
import type { z } from 'zod';
import { clientText, errors } from './errors';

function describe(issue: z.core.$ZodIssue): string {
  const where = issue.path.length > 0 ? clientText(issue.path.join('.')) : 'body';
  if (issue.code === 'unrecognized_keys') {
    // zod's own message lists every unknown key in full: a 16 KiB key would come back whole.
    const [first, ...rest] = issue.keys;
    const more = rest.length > 0 ? ` (and ${rest.length} more)` : '';
    return `${where}: unknown field ${JSON.stringify(clientText(first))}${more}`;
  }
  return `${where}: ${issue.message}`;
}

export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  if (body === undefined) throw errors.invalidBody('Send a JSON object as the request body.');
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  throw errors.invalidBody(describe(result.error.issues[0]));
}
