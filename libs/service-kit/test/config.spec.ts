import { z } from 'zod';
import {
  ConfigError,
  DEVELOPMENT_GATEWAY_SECRET,
  commonEnv,
  envVar,
  readConfig,
  resolveGatewaySecret,
} from '@storefront/service-kit';

const schema = z.object({ ...commonEnv, PORT: envVar.port(3001), LIMIT: envVar.int(99, 1, 1000) });

describe('readConfig', () => {
  it('fills in the defaults of the contract', () => {
    expect(readConfig(schema, {})).toMatchObject({
      PORT: 3001,
      LIMIT: 99,
      REDIS_KEY_PREFIX: 'storefront:',
      LOG_LEVEL: 'info',
      NODE_ENV: 'development',
    });
  });

  it('treats an empty variable as unset', () => {
    expect(readConfig(schema, { PORT: '', LIMIT: '' })).toMatchObject({ PORT: 3001, LIMIT: 99 });
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['LIMIT', '0'],
    ['LIMIT', '1.5'],
    ['LOG_LEVEL', 'loud'],
  ])('stops with a message naming %s when it is %p', (name, value) => {
    expect(() => readConfig(schema, { [name]: value })).toThrow(ConfigError);
    expect(() => readConfig(schema, { [name]: value })).toThrow(new RegExp(`\\b${name}\\b`));
  });
});

describe('resolveGatewaySecret', () => {
  it('uses the development default with a warning outside production', () => {
    const resolved = resolveGatewaySecret('development', undefined);
    expect(resolved.secret).toBe(DEVELOPMENT_GATEWAY_SECRET);
    expect(resolved.warning).toMatch(/GATEWAY_SECRET/);
  });

  it('warns about a secret published in the repository, even in production', () => {
    expect(resolveGatewaySecret('production', 'compose-development-secret-change-me-0123456789').warning).toMatch(
      /published/,
    );
  });

  it('requires GATEWAY_SECRET in production, of at least 32 characters', () => {
    expect(() => resolveGatewaySecret('production', undefined)).toThrow(/GATEWAY_SECRET is required/);
    expect(() => resolveGatewaySecret('production', 'too-short')).toThrow(/GATEWAY_SECRET must be at least 32/);
    expect(resolveGatewaySecret('production', 'p'.repeat(32))).toEqual({ secret: 'p'.repeat(32) });
  });
});
