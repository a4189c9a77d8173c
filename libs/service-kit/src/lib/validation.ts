// Request bodies are checked against a zod schema; any mismatch is 400 INVALID_BODY with a message
// that names the field.
import type { z } from 'zod';
import { errors } from './errors';

export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  if (body === undefined) throw errors.invalidBody('Send a JSON object as the request body.');
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue.path.length > 0 ? issue.path.join('.') : 'body';
  throw errors.invalidBody(`${where}: ${issue.message}`);
}
