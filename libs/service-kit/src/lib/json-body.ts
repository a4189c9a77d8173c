// Request bodies: JSON only, at most 16 KiB (docs/CONTRACT.md "Errors"); a request without a body
// needs no Content-Type, and an empty body is no body. The text must be valid UTF-8 (two different
// byte bodies must not read as one, since Idempotency-Key compares bodies), and nested at most
// MAX_JSON_DEPTH deep, checked before parsing, so that no code after it can recurse without bound.
//
// Our own reader rather than express.json: on a body over the limit, body-parser reads (and throws
// away) the whole rest of it before answering, so a client streaming 1 MiB, or never finishing, holds
// the request open. Here the 413 goes out the moment the limit is passed, and the connection closes
// without reading further.
import type { Request, RequestHandler, Response } from 'express';
import { errors } from './errors';

export const MAX_BODY_BYTES = 16 * 1024;
/** Deeper than any body of the contract (they nest two levels), shallow enough for any recursion. */
export const MAX_JSON_DEPTH = 32;

export function hasBody(headers: { 'transfer-encoding'?: string; 'content-length'?: string }): boolean {
  return (
    headers['transfer-encoding'] !== undefined ||
    (headers['content-length'] !== undefined && headers['content-length'] !== '0')
  );
}

/** Answers without reading the rest of the body, and closes the connection after the answer. */
export function refuseUnread(req: Request, res: Response): void {
  res.shouldKeepAlive = false;
  req.unpipe();
  req.pause();
}

function charsetIsUtf8(contentType: string | undefined): boolean {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '')?.[1];
  return charset === undefined || /^utf-?8$/i.test(charset);
}

/**
 * Whether JSON text nests arrays and objects deeper than `max`: one pass over the characters, brackets
 * inside strings ignored, no recursion.
 */
export function nestedDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
const NOT_JSON = 'The request body is not valid JSON (send an object).';

// Requests whose body was already read: a second jsonBody() on the way passes them through.
const READ = new WeakSet<Request>();

export function jsonBody(limitBytes = MAX_BODY_BYTES): RequestHandler {
  return (req, res, next) => {
    if (!hasBody(req.headers) || READ.has(req)) {
      next();
      return;
    }
    READ.add(req);
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    // A chunked body without a Content-Type must turn out empty (no bytes: no body); its first byte is
    // refused below. With a length announced, the refusal comes at once.
    const untyped =
      req.headers['content-type'] === undefined &&
      req.headers['content-length'] === undefined &&
      encoding === 'identity';
    if (
      !untyped &&
      (!req.is(['application/json', '+json']) || !charsetIsUtf8(req.headers['content-type']) || encoding !== 'identity')
    ) {
      refuseUnread(req, res);
      next(errors.unsupportedMediaType());
      return;
    }
    if (Number(req.headers['content-length']) > limitBytes) {
      refuseUnread(req, res);
      next(errors.payloadTooLarge(limitBytes));
      return;
    }

    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const settle = (err?: unknown) => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
      next(err);
    };
    const onData = (chunk: Buffer) => {
      if (untyped && chunk.length > 0) {
        refuseUnread(req, res);
        settle(errors.unsupportedMediaType());
        return;
      }
      received += chunk.length;
      if (received > limitBytes) {
        refuseUnread(req, res);
        settle(errors.payloadTooLarge(limitBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      if (received === 0 && untyped) {
        settle(); // no body after all
        return;
      }
      let text: string;
      try {
        // A leading byte order mark is dropped by the decoder (JSON.parse would refuse it).
        text = utf8.decode(Buffer.concat(chunks, received));
      } catch {
        settle(errors.invalidBody('The request body is not valid UTF-8.'));
        return;
      }
      // Objects and arrays only, as the routes expect (a bare string or number is not a request body).
      if (!/^\s*[[{]/.test(text)) {
        settle(errors.invalidBody(NOT_JSON));
        return;
      }
      if (nestedDeeperThan(text, MAX_JSON_DEPTH)) {
        settle(errors.invalidBody(`The request body nests deeper than ${MAX_JSON_DEPTH} levels.`));
        return;
      }
      try {
        req.body = JSON.parse(text);
      } catch {
        settle(errors.invalidBody(NOT_JSON));
        return;
      }
      settle();
    };
    const onError = () => settle(errors.invalidBody('The request body could not be read.'));
    const onAborted = () => settle(errors.invalidBody('The request body could not be read.'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  };
}
