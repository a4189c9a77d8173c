// Forwards a request to a service over a keep-alive agent (a fresh connection per request kept about
// half the throughput, measured here). Headers that carry the session token or a client's attempt at
// an identity are never passed on; the gateway adds its own signed hand-off and the request id.
import http, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import type { RequestHandler } from 'express';
import {
  IDENTITY_HEADER,
  MAX_BODY_BYTES,
  errors,
  refuseUnread,
  type IdentityHandoff,
  type Logger,
} from '@storefront/service-kit';
import { injectTraceContext } from '@storefront/observability';
import { createUpstream } from './upstream';

// RFC 9110 hop-by-hop headers, plus host (set for the service).
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
  'host',
];
// Never forwarded: the raw token, and anything a client could use to pose as someone or something else.
const NOT_FORWARDED = new Set([
  ...HOP_BY_HOP,
  'authorization',
  'cookie',
  IDENTITY_HEADER,
  'x-request-id',
  'forwarded',
  'x-forwarded-for',
]);
const NOT_RETURNED = new Set([...HOP_BY_HOP, 'transfer-encoding']);

export interface ProxyOptions {
  handoff: IdentityHandoff;
  agent: http.Agent;
  timeoutMs: number;
  logger: Logger;
}

/** A keep-alive agent whose idle sockets close before the services' 65 s keep-alive timeout. */
export function createUpstreamAgent(): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: 512, maxFreeSockets: 64, timeout: 30_000 });
}

/** The client's headers after `own`: the gateway's own come first on the wire, whatever the client sent. */
function forwardedHeaders(own: OutgoingHttpHeaders, headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = { ...own };
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !NOT_FORWARDED.has(name)) out[name] = value;
  }
  return out;
}

/**
 * Proxies to `target` (an http:// base URL), spreading requests over every address its name resolves
 * to; signs res.locals.shopperId into the hand-off when set.
 */
export function proxyTo(target: string, { handoff, agent, timeoutMs, logger }: ProxyOptions): RequestHandler {
  const upstream = createUpstream(target);
  return async (req, res, next) => {
    // Refuse an announced oversize body here, before a byte of it is read or forwarded, and close the
    // connection rather than read the rest.
    if (Number(req.headers['content-length']) > MAX_BODY_BYTES) {
      refuseUnread(req, res);
      next(errors.payloadTooLarge(MAX_BODY_BYTES));
      return;
    }
    const own: OutgoingHttpHeaders = { host: upstream.host, 'x-request-id': req.id };
    if (req.socket.remoteAddress) own['x-forwarded-for'] = req.socket.remoteAddress;
    const shopperId: unknown = res.locals.shopperId;
    if (typeof shopperId === 'string') {
      own[IDENTITY_HEADER] = handoff.sign(shopperId, { method: req.method, url: req.originalUrl });
    }
    const headers = forwardedHeaders(own, req.headers);
    // The W3C traceparent of this request's trace, so the service's spans join it (when tracing is on).
    injectTraceContext(headers);

    // One deadline for the whole wait: name lookup, a free socket, and the answer's headers. Time the
    // client spends sending its body is the client's, not the service's: if the body is still coming
    // when the deadline passes, the clock starts again once it is in (the server's requestTimeout
    // bounds a client that never finishes).
    let forward: http.ClientRequest | undefined;
    let timedOut = false;
    const giveUp = () => {
      timedOut = true;
      forward?.destroy(new Error(`no answer within ${timeoutMs} ms`));
      if (!forward && !res.headersSent) next(errors.serviceUnavailable());
    };
    let deadline = setTimeout(function expire() {
      if (req.complete) giveUp();
      else req.once('end', () => (deadline = setTimeout(giveUp, timeoutMs)));
    }, timeoutMs);

    let address: { hostname: string; port: number };
    try {
      address = await upstream.next();
    } catch (err) {
      clearTimeout(deadline);
      logger.warn(
        { reqId: req.id, target: upstream.host, err: (err as Error).message },
        'service name does not resolve',
      );
      if (!timedOut) next(errors.serviceUnavailable());
      return;
    }
    if (timedOut) return;

    // Set once the client has gone (or was answered by the gateway itself): what happens to the
    // upstream request after that says nothing about the service.
    let clientGone = false;
    let answerComplete = false;
    forward = http.request({ ...address, method: req.method, path: req.originalUrl, headers, agent });
    forward.on('response', (answer) => {
      clearTimeout(deadline);
      if (res.headersSent || clientGone) {
        // Answered already (a 408 for a body that never finished): drop the service's answer.
        answer.resume();
        return;
      }
      answer.on('end', () => (answerComplete = true));
      res.status(answer.statusCode ?? 502);
      for (const [name, value] of Object.entries(answer.headers)) {
        if (value !== undefined && !NOT_RETURNED.has(name)) res.setHeader(name, value);
      }
      // If the service's answer breaks off midway, the client's connection is closed too: a
      // truncated body must not look complete, and must not hang. (pipe plus these handlers rather
      // than stream.pipeline, which costs an AbortController per request on this hot path.)
      const cutOff = () => {
        logger.warn({ reqId: req.id, target: upstream.host }, 'answer from service cut off');
        res.destroy();
      };
      answer.on('aborted', cutOff);
      answer.on('error', cutOff);
      answer.pipe(res);
    });
    forward.on('error', (err) => {
      clearTimeout(deadline);
      if (received > MAX_BODY_BYTES) return; // we cut it off ourselves, and answered 413
      if (clientGone) return; // the request's own logger line says the client went away
      logger.warn(
        { reqId: req.id, target: upstream.host, address: address.hostname, err: err.message },
        'service unavailable',
      );
      upstream.refresh();
      if (!res.headersSent) {
        next(errors.serviceUnavailable());
      } else {
        res.destroy(err);
      }
    });
    // A client that goes away takes its upstream request with it; so does an answer the gateway gave
    // itself before the service's came.
    res.on('close', () => {
      clearTimeout(deadline);
      if (!answerComplete) {
        clientGone = true;
        forward?.destroy();
      }
    });
    // A chunked body announces no length: count it, and stop it at the limit.
    let received = 0;
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > MAX_BODY_BYTES && !res.headersSent) {
        clearTimeout(deadline);
        req.unpipe(forward);
        forward?.destroy();
        res.shouldKeepAlive = false;
        next(errors.payloadTooLarge(MAX_BODY_BYTES));
      }
    });
    req.pipe(forward);
  };
}
