// One HTTP client for tests and tools: node:http, so that what goes out is exactly what was asked for
// (fetch normalises paths such as "/a/../b", refuses some methods and rewrites header values), timed
// at the client, over kept-alive connections. Below it, `exchange` writes raw bytes on a socket, for
// requests no HTTP client would send at all.
import http, { type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import { connect } from 'node:net';

export interface HttpRequest {
  method: string;
  /** Sent as it is: no normalisation, no encoding. */
  path: string;
  headers?: OutgoingHttpHeaders;
  /** Sent as it is, with its Content-Length. */
  body?: string | Buffer;
}

export interface HttpReply {
  status: number;
  headers: Headers;
  /** The answer's text, JSON or not. */
  text: string;
  /** From the request's start to the answer's last byte. */
  ms: number;
}

export interface SendOptions {
  /** Connections to use; Node's global agent (kept alive) by default. */
  agent?: http.Agent;
  /** A hang is a failure too: no whole answer within this long rejects (default 10 s). */
  timeoutMs?: number;
}

function headersOf(raw: http.IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    for (const each of Array.isArray(value) ? value : [value ?? '']) headers.append(name, each);
  }
  return headers;
}

/** Sends exactly `sent` to `baseUrl` (http:// or https://host:port); rejects on a network error or a hang. */
export function sendRequest(baseUrl: string, sent: HttpRequest, options: SendOptions = {}): Promise<HttpReply> {
  const { hostname, port, protocol } = new URL(baseUrl);
  const transport = protocol === 'https:' ? https : http;
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const headers: OutgoingHttpHeaders = { ...sent.headers };
    if (
      sent.body !== undefined &&
      headers['content-length'] === undefined &&
      headers['transfer-encoding'] === undefined
    )
      headers['content-length'] = Buffer.byteLength(sent.body);
    const started = performance.now();
    const request = transport.request(
      { host: hostname, port, method: sent.method, path: sent.path, headers, agent: options.agent },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('error', (err) => request.destroy(err));
        answer.on('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          const ms = Math.round(performance.now() - started);
          resolve({ status: answer.statusCode ?? 0, headers: headersOf(answer.headers), text, ms });
        });
      },
    );
    const timer = setTimeout(() => request.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    request.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${sent.method} ${sent.path}: ${err.message}`));
    });
    request.end(sent.body);
  });
}

export interface JsonReply<B> extends HttpReply {
  /** The answer as a JSON object; undefined where it is none (see `text`). */
  body: B | undefined;
}

/** The JSON object of an answer's text, or undefined (not JSON, or not an object). */
export function jsonObjectOf<B = Record<string, unknown>>(text: string): B | undefined {
  try {
    const parsed: unknown = text ? JSON.parse(text) : undefined;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as B) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One call to a JSON API: `body` goes out as JSON, the session token as a Bearer header, and the
 * answer comes back parsed. Throws on a network error or a hang.
 */
export async function callJson<B = Record<string, unknown>>(
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } & SendOptions = {},
): Promise<JsonReply<B>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  // JSON unless the caller names another type (a test of what a wrong one gets).
  const typed = Object.keys(headers).some((name) => name.toLowerCase() === 'content-type');
  if (options.body !== undefined && !typed) headers['content-type'] = 'application/json';
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  const reply = await sendRequest(baseUrl, { method, path, headers, body }, options);
  return { ...reply, body: jsonObjectOf<B>(reply.text) };
}

export interface RawExchange {
  /** Everything the server sent, as latin1 text. */
  text: string;
  /** When the server closed the connection, in ms after the first byte was sent. */
  closedAfterMs: number;
}

/** A step of a raw exchange: a string is written, a wait pauses. */
export type RawStep = string | { waitMs: number };

/**
 * Exactly these bytes on a fresh connection to 127.0.0.1:`port`, and everything that comes back until
 * the server closes it: for requests that a real HTTP client would refuse to send (no Host, garbage
 * after a request, a byte every so often).
 */
export function exchange(port: number, steps: RawStep[], giveUpMs = 10_000): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const started = Date.now();
    let text = '';
    let closed = false;
    const timer = setTimeout(() => {
      socket.destroy();
      const sent = JSON.stringify(text.slice(0, 500));
      reject(new Error(`the server kept the connection open for ${giveUpMs} ms; it sent: ${sent}`));
    }, giveUpMs);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', () => undefined); // a reset after the answer is a close like any other
    socket.on('close', () => {
      closed = true;
      clearTimeout(timer);
      resolve({ text, closedAfterMs: Date.now() - started });
    });
    socket.on('connect', async () => {
      for (const step of steps) {
        if (closed) return;
        if (typeof step === 'string') socket.write(step);
        else await new Promise((wait) => setTimeout(wait, step.waitMs));
      }
    });
  });
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Splits what a server sent on one connection into its responses (Content-Length framed). */
export function responsesOf(text: string): RawResponse[] {
  const responses: RawResponse[] = [];
  let rest = text;
  while (rest.startsWith('HTTP/')) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const [statusLine, ...lines] = rest.slice(0, end).split('\r\n');
    const headers = Object.fromEntries(
      lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
    );
    const length = Number(headers['content-length'] ?? 0);
    responses.push({ status: Number(statusLine.split(' ')[1]), headers, body: rest.slice(end + 4, end + 4 + length) });
    rest = rest.slice(end + 4 + length);
  }
  return responses;
}
