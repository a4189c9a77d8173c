// The storefront as processes on Redis set up the way an operator should set it up: a password and an
// ACL user limited to the storefront's keys and commands, or TLS (rediss://) with a private CA. And
// nothing leaks: no raw session token in any Redis key or value, log line, or error body.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { TEST_SECRET, freePort, startControllableRedis, type RedisProcess } from '@storefront/test-kit';
import { call, newSession, type Answer } from '../support/http';
import { startStorefrontProcesses, type StorefrontProcesses } from '../support/storefront-processes';

// Request lines are logged at info: the leak check reads them all.
const LOG_INFO = { gateway: 'info', inventory: 'info', checkout: 'info' };
const outputOf = (store: StorefrontProcesses) =>
  store
    .all()
    .map((service) => service.output())
    .join('\n');

const PREFIX = 'secure-shop:';
// Least privilege: the storefront's keys only, and only the commands it sends (directly, or from its
// Lua scripts). ioredis's connection handshake needs HELLO, CLIENT SETNAME and INFO.
const STOREFRONT_ACL = [
  'on',
  '>storefront-password',
  `~${PREFIX}*`,
  'resetchannels',
  '-@all',
  '+hello',
  '+auth',
  '+client|setname',
  '+info',
  '+ping',
  '+evalsha',
  '+eval',
  '+set',
  '+get',
  '+getex',
  '+del',
  '+exists',
  '+rename',
  '+pexpire',
  '+pttl',
  '+incr',
  '+hgetall',
  '+hincrby',
  '+hset',
  '+hdel',
  '+hlen',
  '+hexists',
  '+hget',
  '+hmget',
  '+zadd',
  '+zrem',
  '+zremrangebyscore',
  '+zcard',
  '+zrange',
  '+time',
];

/** A shopper's walk through the gateway: every route, a few errors; returns every answer. */
async function walk(base: string): Promise<{ token: string; answers: Answer[] }> {
  const token = await newSession(base);
  const answers: Answer[] = [];
  const go = async (method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
    const answer = await call(base, method, path, { token, body, headers });
    answers.push(answer);
    return answer;
  };
  expect((await go('POST', '/Cart/Item', { id: 'badger-mug', quantity: 2 })).status).toBe(201);
  expect((await go('PUT', '/Cart/Item/badger-tee', { quantity: 1 })).status).toBe(200);
  expect((await go('GET', '/Cart')).body?.cart).toHaveLength(2);
  expect((await go('POST', '/Cart/Item', { id: 'badger-mug', quantity: 99 })).status).toBe(422);
  expect((await go('POST', '/Cart/Item', { id: 'nope' })).status).toBe(404);
  expect((await go('PATCH', '/Cart/checkout', { payment: { token: 'tok_declined' } })).status).toBe(402);
  expect(
    (await go('PATCH', '/Cart/checkout', { payment: { token: 'tok_visa' } }, { 'Idempotency-Key': 'k1' })).status,
  ).toBe(200);
  expect(
    (await go('PATCH', '/Cart/checkout', { payment: { token: 'tok_visa' } }, { 'Idempotency-Key': 'k1' })).headers.get(
      'idempotent-replayed',
    ),
  ).toBe('true');
  expect((await go('DELETE', '/Cart/Item/badger-tee')).status).toBe(200);
  answers.push(await call(base, 'GET', '/Cart', { token: token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A') }));
  return { token, answers };
}

describe('Redis with a password and an ACL user limited to the storefront', () => {
  let redis: RedisProcess;
  let store: StorefrontProcesses;
  let admin: Redis;

  beforeAll(async () => {
    redis = await startControllableRedis([
      '--user',
      'default',
      'off',
      '--user',
      'admin',
      'on',
      '>admin-password',
      '~*',
      '&*',
      '+@all',
      '--user',
      'storefront',
      ...STOREFRONT_ACL,
    ]);
    admin = new Redis(redis.port, '127.0.0.1', { username: 'admin', password: 'admin-password' });
    store = await startStorefrontProcesses({
      redisUrl: `redis://storefront:storefront-password@127.0.0.1:${redis.port}`,
      secret: TEST_SECRET,
      prefix: PREFIX,
      logLevels: LOG_INFO,
    });
  });
  afterAll(async () => {
    await store?.stop();
    admin?.disconnect();
    await redis?.stop();
  });

  it('serves every route, and no raw token appears in any key, value, log line or error body', async () => {
    const { token, answers } = await walk(store.gateway.url);

    const keys = await admin.keys('*');
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.every((key) => key.startsWith(PREFIX))).toBe(true);
    for (const key of keys) {
      expect(key).not.toContain(token);
      const type = await admin.type(key);
      const value =
        type === 'hash'
          ? JSON.stringify(await admin.hgetall(key))
          : type === 'zset'
            ? JSON.stringify(await admin.zrange(key, '0', '-1', 'WITHSCORES'))
            : String(await admin.get(key));
      expect(value).not.toContain(token);
    }
    // Logs carry request lines at info level: check them all.
    expect(outputOf(store)).toContain('"msg":"request"');
    expect(outputOf(store)).not.toContain(token);
    for (const answer of answers.filter((a) => a.status >= 400)) {
      expect(answer.text).not.toContain(token);
      expect(answer.body?.error?.code).toEqual(expect.any(String));
    }
  });

  it('refuses the storefront user anything outside its keys and commands', async () => {
    const limited = new Redis(redis.port, '127.0.0.1', {
      username: 'storefront',
      password: 'storefront-password',
      maxRetriesPerRequest: 0,
    });
    try {
      await expect(limited.get('someone-else:key')).rejects.toThrow(/NOPERM/);
      await expect(limited.flushall()).rejects.toThrow(/NOPERM/);
      await expect(limited.keys(`${PREFIX}*`)).rejects.toThrow(/NOPERM/);
    } finally {
      limited.disconnect();
    }
  });

  it('with a wrong password: the services run, say 503 on /readyz, and answer 503 CART_UNAVAILABLE', async () => {
    const wrong = await startStorefrontProcesses({
      redisUrl: `redis://storefront:wrong-password@127.0.0.1:${redis.port}`,
      secret: TEST_SECRET,
      prefix: PREFIX,
      logLevels: LOG_INFO,
      waitForReady: false,
    });
    try {
      for (const service of wrong.all()) {
        expect((await call(service.url, 'GET', '/readyz')).status).toBe(503);
      }
      const session = await call(wrong.gateway.url, 'POST', '/session');
      expect({ status: session.status, code: session.body?.error?.code }).toEqual({
        status: 503,
        code: 'CART_UNAVAILABLE',
      });
      expect(outputOf(wrong)).not.toContain('wrong-password');
    } finally {
      await wrong.stop();
    }
  });
});

describe('Redis over TLS (rediss://) with a private certificate authority', () => {
  let dir: string;
  let redis: RedisProcess;
  let store: StorefrontProcesses;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'storefront-tls-'));
    const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '1',
      '-subj',
      '/CN=storefront test CA',
    );
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'redis.key',
      '-out',
      'redis.csr',
      '-subj',
      '/CN=localhost',
    );
    execFileSync('sh', ['-c', 'printf "subjectAltName=DNS:localhost,IP:127.0.0.1\\n" > san.ext'], { cwd: dir });
    openssl(
      'x509',
      '-req',
      '-in',
      'redis.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'redis.pem',
      '-days',
      '1',
      '-extfile',
      'san.ext',
    );
    const tlsPort = await freePort();
    redis = await startControllableRedis([
      '--port',
      '0',
      '--tls-port',
      String(tlsPort),
      '--tls-cert-file',
      join(dir, 'redis.pem'),
      '--tls-key-file',
      join(dir, 'redis.key'),
      '--tls-ca-cert-file',
      join(dir, 'ca.pem'),
      '--tls-auth-clients',
      'no',
    ]);
    store = await startStorefrontProcesses({
      redisUrl: `rediss://localhost:${tlsPort}`,
      secret: TEST_SECRET,
      prefix: PREFIX,
      // Node's standard way to trust a private CA; no storefront setting needed.
      env: { NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem') },
    });
  });
  afterAll(async () => {
    await store?.stop();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves every route over an encrypted connection', async () => {
    const { answers } = await walk(store.gateway.url);
    expect(answers.filter((a) => a.status >= 500)).toEqual([]);
    expect((await call(store.gateway.url, 'GET', '/readyz')).status).toBe(200);
  });
});
