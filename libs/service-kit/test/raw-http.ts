// Exactly these bytes on a fresh connection, and everything that comes back until the server closes
// it: for requests that a real HTTP client would refuse to send (no Host, garbage after a request, a
// byte every so often).
import { connect } from 'node:net';

export interface RawExchange {
  /** Everything the server sent, as latin1 text. */
  text: string;
  /** When the server closed the connection, in ms after the first byte was sent. */
  closedAfterMs: number;
}

export type RawStep = string | { waitMs: number };

/** Sends the steps in order (a string is written, a wait pauses) and resolves when the server closes. */
export function exchange(port: number, steps: RawStep[], giveUpMs = 10_000): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const started = Date.now();
    let text = '';
    let closed = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new Error(
          `the server kept the connection open for ${giveUpMs} ms; it sent: ${JSON.stringify(text.slice(0, 500))}`,
        ),
      );
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
