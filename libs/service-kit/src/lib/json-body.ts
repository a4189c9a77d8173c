// Request bodies: JSON only, at most 16 KiB (docs/CONTRACT.md "Errors"); a request without a body
// needs no Content-Type.
//
// Our own reader rather than express.json: on a body over the limit, body-parser reads (and throws
// away) the whole rest of it before answering, so a client streaming 1 MiB, or never finishing, holds
// the request open. Here the 413 goes out the moment the limit is passed, and the connection closes
// without reading further.
import type { Request, RequestHandler, Response } from 'express';
import { errors } from './errors';

export const MAX_BODY_BYTES = 16 * 1024;

export function hasBody(headers: { 'transfer-encoding'?: string; 'content-length'?: string }): boolean {
  return headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0');
}

/** Answers without reading the rest of the body, and closes the connection after the answer. */
function refuseUnread(req: Request, res: Response): void {
  res.shouldKeepAlive = false;
  req.unpipe();
  req.pause();
}

function charsetIsUtf8(contentType: string | undefined): boolean {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '')?.[1];
  return charset === undefined || /^utf-?8$/i.test(charset);
}

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
    if (!req.is(['application/json', '+json']) || !charsetIsUtf8(req.headers['content-type']) || encoding !== 'identity') {
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
      received += chunk.length;
      if (received > limitBytes) {
        refuseUnread(req, res);
        settle(errors.payloadTooLarge(limitBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      // A leading byte order mark is tolerated, as JSON.parse would not.
      const text = Buffer.concat(chunks).toString('utf8').replace(/^\uFEFF/, '');
      // Objects and arrays only, as the routes expect (a bare string or number is not a request body).
      if (!/^\s*[[{]/.test(text)) {
        settle(errors.invalidBody('The request body is not valid JSON (send an object).'));
        return;
      }
      try {
        req.body = JSON.parse(text);
      } catch {
        settle(errors.invalidBody('The request body is not valid JSON (send an object).'));
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
