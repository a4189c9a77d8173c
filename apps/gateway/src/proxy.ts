// Forwards a request to a service over undici's keep-alive connection pools (bounded per service
// address): far cheaper per request than node:http's client, measured here. Headers that carry the
// session token or a client's attempt at an identity are never passed on; the gateway adds its own
// signed hand-off and the request id.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { PassThrough } from 'node:stream';
import type { Request, RequestHandler } from 'express';
import { Agent, type Dispatcher } from 'undici';
import {
  IDENTITY_HEADER,
  MAX_BODY_BYTES,
  errors,
  hasBody,
  refuseUnread,
  type IdentityHandoff,
  type Logger,
} from '@storefront/service-kit';
import { dropClientTraceContext } from '@storefront/observability';
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
// Never forwarded: the raw token, and anything a client could use to pose as someone or something else;
// nor how the client framed its body (the pool frames it again) or its Expect (already answered here).
const NOT_FORWARDED = new Set([
  ...HOP_BY_HOP,
  'transfer-encoding',
  'expect',
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
  agent: Dispatcher;
  timeoutMs: number;
  logger: Logger;
}

/**
 * Keep-alive pools, one per service address, whose idle connections close before the services' 65 s
 * keep-alive timeout. The gateway keeps its own deadline (see proxyTo); undici's are left generous.
 */
export function createUpstreamAgent(): Agent {
  return new Agent({
    connections: 256,
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 30_000,
    headersTimeout: 0,
  });
}

/** The client's headers after `own`: the gateway's own come first on the wire, whatever the client sent. */
function forwardedHeaders(own: OutgoingHttpHeaders, headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = own;
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined && !NOT_FORWARDED.has(name)) out[name] = value;
  }
  return out;
}

/**
 * The body as one buffer when the client has sent all of it already (a small body mostly comes in the
 * same packet as the head): the request then goes out in one write. Undefined when it is still coming.
 */
function bodyReceived(req: Request): Buffer | undefined {
  if (!req.complete || req.readableFlowing) return undefined;
  const chunks: Buffer[] = [];
  for (let chunk: Buffer | null = req.read(); chunk !== null; chunk = req.read()) chunks.push(chunk);
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
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
    // While tracing, the undici instrumentation writes this request's traceparent: the client's would be a second.
    dropClientTraceContext(headers);

    // One deadline for the whole wait: name lookup, a free connection, and the answer's headers. Time
    // the client spends sending its body is the client's, not the service's: if the body is still
    // coming when the deadline passes, the clock starts again once it is in (the server's
    // requestTimeout bounds a client that never finishes).
    let controller: Dispatcher.DispatchController | undefined;
    let dispatched = false;
    let timedOut = false;
    // Set once the client has gone (or was answered by the gateway itself): what happens to the
    // upstream request after that says nothing about the service.
    let clientGone = false;
    let answerStarted = false;
    let answerComplete = false;
    let tooLarge = false;
    // Aborts the upstream request; one still waiting for a connection is aborted as it gets one.
    let cancelled: Error | undefined;
    const cancel = (reason: Error) => {
      if (controller) controller.abort(reason);
      else cancelled = reason;
    };
    const giveUp = () => {
      timedOut = true;
      const reason = new Error(`no answer within ${timeoutMs} ms`);
      cancel(reason);
      if (!dispatched) {
        if (!res.headersSent) next(errors.serviceUnavailable());
        return;
      }
      unavailable(reason);
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

    const unavailable = (err: Error) => {
      logger.warn(
        { reqId: req.id, target: upstream.host, address: address.hostname, err: err.message },
        'service unavailable',
      );
      upstream.refresh();
      if (!res.headersSent) next(errors.serviceUnavailable());
      else res.destroy(err);
    };

    // A body already in is sent with the head; one still coming streams through, counted and stopped
    // at the limit (a chunked body announces no length).
    let body: Buffer | PassThrough | undefined;
    if (hasBody(req.headers)) {
      body = bodyReceived(req);
      if (body !== undefined && body.length > MAX_BODY_BYTES) {
        clearTimeout(deadline);
        res.shouldKeepAlive = false;
        next(errors.payloadTooLarge(MAX_BODY_BYTES));
        return;
      }
      if (body === undefined) {
        const stream = new PassThrough();
        let received = 0;
        req.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > MAX_BODY_BYTES && !res.headersSent) {
            clearTimeout(deadline);
            tooLarge = true;
            req.unpipe(stream);
            cancel(errors.payloadTooLarge(MAX_BODY_BYTES));
            res.shouldKeepAlive = false;
            next(errors.payloadTooLarge(MAX_BODY_BYTES));
          }
        });
        req.pipe(stream);
        body = stream;
      }
    }

    // A client that goes away takes its upstream request with it; so does an answer the gateway gave
    // itself before the service's came.
    res.on('close', () => {
      clearTimeout(deadline);
      if (!answerComplete) {
        clientGone = true;
        cancel(new Error('client gone'));
      }
    });

    dispatched = true;
    agent.dispatch(
      {
        origin: `http://${address.hostname}:${address.port}`,
        method: req.method as Dispatcher.HttpMethod,
        path: req.originalUrl,
        headers: headers as Record<string, string | string[]>,
        body,
      },
      {
        onRequestStart(control) {
          controller = control;
          if (cancelled) control.abort(cancelled);
        },
        onResponseStart(control, statusCode, answerHeaders) {
          clearTimeout(deadline);
          if (res.headersSent || clientGone) {
            // Answered already (a 408 for a body that never finished): drop the service's answer.
            control.abort(new Error('answered already'));
            return;
          }
          answerStarted = true;
          res.status(statusCode);
          for (const name in answerHeaders) {
            const value = answerHeaders[name];
            if (value !== undefined && !NOT_RETURNED.has(name)) res.setHeader(name, value);
          }
        },
        onResponseData(control, chunk) {
          if (!res.write(chunk)) {
            control.pause();
            res.once('drain', () => control.resume());
          }
        },
        onResponseEnd() {
          answerComplete = true;
          res.end();
        },
        onResponseError(_control, err) {
          clearTimeout(deadline);
          if (tooLarge || timedOut || clientGone) return; // answered here already, or nobody to answer
          if (answerStarted) {
            // The service's answer broke off midway: the client's connection is closed too, as a
            // truncated body must not look complete, and must not hang.
            logger.warn({ reqId: req.id, target: upstream.host }, 'answer from service cut off');
            res.destroy();
            return;
          }
          unavailable(err);
        },
      },
    );
  };
}
