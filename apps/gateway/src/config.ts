import { join } from 'node:path';
import { z } from 'zod';
import { redisEnv } from '@storefront/redis';
import { commonEnv, envVar, readConfig, servicePorts } from '@storefront/service-kit';

const gatewayEnv = z.object({
  ...commonEnv,
  ...redisEnv,
  ...servicePorts(3000, 9100),
  INVENTORY_URL: envVar.url('http://127.0.0.1:3001', ['http:']),
  CHECKOUT_URL: envVar.url('http://127.0.0.1:3002', ['http:']),
  SESSION_TTL_SECONDS: envVar.int(30 * 24 * 60 * 60, 60, 365 * 24 * 60 * 60),
  // Per session on cart routes, per client address on POST /session; 0 turns rate limiting off.
  RATE_LIMIT_PER_MINUTE: envVar.int(6_000, 0, 10_000_000),
  // How long the gateway waits for a service before answering 503 SERVICE_UNAVAILABLE.
  UPSTREAM_TIMEOUT_MS: envVar.int(5_000, 100, 60_000),
  // The storefront page's built files, served at /. By default beside the gateway's bundle:
  // dist/apps/web next to dist/apps/gateway/main.js, and /app/web next to /app/dist/main.js in the image.
  PAGE_DIR: envVar.string(join(__dirname, '../web')),
});

export type GatewayConfig = z.infer<typeof gatewayEnv>;

export function readGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  return readConfig(gatewayEnv, env);
}
