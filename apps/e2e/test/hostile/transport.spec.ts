// Hostile input, end to end (see harness.ts), at the level of the connection: bodies far over the
// limit (refused at once, not read to the end), a body sent slowly, and requests Node's HTTP parser
// refuses. Never a 5xx, errors in the contract's shape, and the cart as the answer says.
import http, { type OutgoingHttpHeaders } from 'node:http';
import { codeOf } from './contract-oracle';
import {
  bearer,
  expectUnchanged,
  insist,
  judge,
  sortedLines,
  useHostileStorefront,
  type Reply,
  type Sent,
  type Shopper,
} from './harness';

const { port, send, newShopper, cartState } = useHostileStorefront();

const MIB = 1024 * 1024;

interface Upload {
  status: number;
  text: string;
  /** Bytes of the body written when the answer's headers arrived. */
  written: number;
  ms: number;
}

/**
 * Sends `method path` with a 1 MiB body (announced in Content-Length, or chunked), writing at most
 * `writeAtMost` bytes of it and then waiting for the answer (ending the request only when `end`).
 */
function upload(
  method: string,
  path: string,
  token: string | undefined,
  options: { chunked: boolean; writeAtMost: number; end?: boolean },
): Promise<Upload> {
  return new Promise((resolve, reject) => {
    const headers: OutgoingHttpHeaders = { 'content-type': 'application/json', ...(token ? bearer(token) : {}) };
    if (options.chunked) headers['transfer-encoding'] = 'chunked';
    else headers['content-length'] = MIB;
    // A fresh connection of its own: it is destroyed once the answer is in.
    const req = http.request({ host: '127.0.0.1', port: port(), method, path, headers, agent: false });
    const started = Date.now();
    let written = 0;
    let answered = false;
    const timer = setTimeout(() => {
      req.destroy();
      const how = options.chunked ? 'chunked' : 'Content-Length: 1048576';
      reject(new Error(`${method} ${path} (${how}): no answer within 3 s after writing ${written} bytes`));
    }, 3_000);
    req.on('response', (res) => {
      answered = true;
      const at = written;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        clearTimeout(timer);
        req.destroy();
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, text, written: at, ms: Date.now() - started });
      });
    });
    req.on('error', (err) => {
      if (answered) return; // our own destroy after the answer
      clearTimeout(timer);
      reject(new Error(`${method} ${path}: ${err.message} after writing ${written} bytes`));
    });
    // The start of a plausible JSON body, then filler, in 4 KiB pieces.
    const piece = Buffer.alloc(4 * 1024, 'a');
    const head = Buffer.from('{"id":"badger-mug","quantity":1,"pad":"');
    const writeMore = () => {
      while (!answered && written < options.writeAtMost) {
        const chunk = written === 0 ? Buffer.concat([head, piece.subarray(head.length)]) : piece;
        written += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', writeMore);
          return;
        }
      }
      if (!answered && options.end) req.end();
    };
    writeMore();
  });
}

const UPLOAD_ROUTES = [
  { method: 'POST', path: '/Cart/Item', signedIn: true },
  { method: 'PUT', path: '/Cart/Item/badger-mug', signedIn: true },
  { method: 'DELETE', path: '/Cart/Item/badger-mug', signedIn: true },
  { method: 'PATCH', path: '/Cart/checkout', signedIn: true },
  { method: 'GET', path: '/Cart', signedIn: true },
  { method: 'GET', path: '/Items/badger-mug', signedIn: false },
  { method: 'POST', path: '/session', signedIn: false },
];

/**
 * Sends the upload to every route at once (each with a shopper of its own, so they cannot disturb
 * each other) and lists what went wrong on each: one failure report naming every route affected.
 */
async function uploadEverywhere(
  options: { chunked: boolean; writeAtMost: number; end?: boolean },
  how: string,
): Promise<string[]> {
  // One after another: a new shopper's cart key is found as the one key that appeared.
  const shoppers: Shopper[] = [];
  for (let i = 0; i < UPLOAD_ROUTES.length; i += 1) shoppers.push(await newShopper());
  const problems = await Promise.all(
    UPLOAD_ROUTES.map(async (route, i) => {
      const name = `${route.method} ${route.path} (${how})`;
      const shopper = shoppers[i];
      try {
        const before = await cartState(shopper);
        const answer = await upload(route.method, route.path, route.signedIn ? shopper.token : undefined, options);
        const sent: Sent = { method: route.method, path: route.path, headers: { note: how } };
        const headers = new Headers({ 'content-type': 'application/json' });
        const reply: Reply = { status: answer.status, headers, text: answer.text, ms: answer.ms };
        const found: string[] = [];
        if (answer.status !== 413 || codeOf(reply) !== 'PAYLOAD_TOO_LARGE') {
          found.push(`answered ${answer.status} ${answer.text} after ${answer.ms} ms, not 413 PAYLOAD_TOO_LARGE`);
        } else {
          judge(sent, reply);
        }
        // Refused before the client sent the rest (it never does), and soon.
        if (!options.end && answer.ms > 1_000) found.push(`answered after ${answer.ms} ms`);
        const after = await cartState(shopper);
        const [hashBefore, hashAfter] = [JSON.stringify(before.hash), JSON.stringify(after.hash)];
        if (JSON.stringify(after.lines) !== JSON.stringify(before.lines) || hashAfter !== hashBefore) {
          found.push(`the cart changed: ${hashBefore} -> ${hashAfter}`);
        }
        return found.map((problem) => `${name}: ${problem}`);
      } catch (err) {
        return [`${name}: ${(err as Error).message}`];
      }
    }),
  );
  return problems.flat();
}

describe('a 1 MiB body', () => {
  it('announced in Content-Length, on every route: 413 at once, with most of it never sent', async () => {
    // 8 KiB of the 1 MiB announced, then the client waits: the answer must not need the rest.
    const how = 'Content-Length: 1048576, 8 KiB written';
    expect(await uploadEverywhere({ chunked: false, writeAtMost: 8 * 1024 }, how)).toEqual([]);
  });

  it('chunked, on every route: 413 once past the limit, without waiting for the rest of it', async () => {
    // 64 KiB, four times the limit, then nothing more: the service has all it needs to refuse.
    const how = 'chunked, 64 KiB written, not ended';
    expect(await uploadEverywhere({ chunked: true, writeAtMost: 64 * 1024 }, how)).toEqual([]);
  });

  it('chunked to the end, on every route: 413', async () => {
    expect(await uploadEverywhere({ chunked: true, writeAtMost: MIB, end: true }, 'chunked, 1 MiB, ended')).toEqual([]);
  });
});

describe('a slow body', () => {
  it('a small valid body sent slowly is not a 5xx, and the cart shows what the answer says', async () => {
    const shopper = await newShopper();
    const before = await cartState(shopper);
    const body = '{"id":"badger-socks"}';
    // Half the body, then a pause longer than the gateway's wait for a service (UPSTREAM_TIMEOUT_MS
    // is 2000 in the harness): the client is slow here, not the service.
    const reply = await new Promise<Reply>((resolve, reject) => {
      const started = Date.now();
      const headers = { ...bearer(shopper.token), 'content-type': 'application/json', 'content-length': body.length };
      const options = { host: '127.0.0.1', port: port(), method: 'POST', path: '/Cart/Item', headers, agent: false };
      const req = http.request(options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          clearTimeout(rest);
          req.destroy();
          const text = Buffer.concat(chunks).toString('utf8');
          const headers = new Headers({ 'content-type': res.headers['content-type'] ?? '' });
          resolve({ status: res.statusCode ?? 0, headers, text, ms: Date.now() - started });
        });
      });
      req.on('error', reject);
      req.write(body.slice(0, 10));
      const rest = setTimeout(() => req.end(body.slice(10)), 2_500);
    });
    const note = 'half the body, 2.5 s pause, the rest';
    const sent: Sent = { method: 'POST', path: '/Cart/Item', headers: { note }, body };
    judge(sent, reply);
    const after = await cartState(shopper);
    if (reply.status === 201) expect(after.lines).toEqual(sortedLines([...before.lines, ['badger-socks', 1]]));
    else expectUnchanged(before, after, sent, reply);
  });
});

// Named as in the rest of "any path, any method" (paths.spec.ts): it is the one case of it that
// never reaches a route, since Node's parser refuses the request line.
describe('any path, any method', () => {
  it(
    'a request that the HTTP parser refuses (a byte past ' + 'ASCII in the path) gets a well-formed 400, HEAD included',
    async () => {
      for (const verb of ['GET', 'DELETE', 'HEAD']) {
        for (const target of ['/\u00e9', '/Cart/Item/badger-m\u00fcg', '/Items/\u00ff']) {
          const sent: Sent = { method: verb, path: target, headers: {} };
          // A client that cannot parse the answer (a HEAD answered with a body, say) rejects here.
          const reply = await send(sent);
          insist(reply.status === 400, 'expected 400', sent, reply);
          if (verb === 'HEAD') insist(reply.text === '', 'an answer to HEAD must have no body', sent, reply);
          else judge(sent, reply);
        }
      }
    },
  );
});
