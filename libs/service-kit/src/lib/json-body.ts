// Request bodies: JSON only, at most 16 KiB (docs/CONTRACT.md "Errors"); a request without a body needs no Content-Type.
import express, { type RequestHandler } from 'express';
import { errors } from './errors';

export const MAX_BODY_BYTES = 16 * 1024;

export function hasBody(headers: { 'transfer-encoding'?: string; 'content-length'?: string }): boolean {
  return headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0');
}

export function jsonBody(limitBytes = MAX_BODY_BYTES): RequestHandler {
  // body-parser refuses an announced Content-Length over the limit before reading a byte.
  const parse = express.json({ limit: limitBytes, strict: true, type: () => true });
  return (req, res, next) => {
    if (!hasBody(req.headers)) {
      next();
      return;
    }
    if (!req.is(['application/json', '+json'])) {
      next(errors.unsupportedMediaType());
      return;
    }
    parse(req, res, next);
  };
}
