// Configuration is read once at start from the environment and checked against a zod schema;
// a bad value stops the process with a message that names the variable.
import { z } from 'zod';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

// An empty variable (`PORT=`) means "not set", not zero.
const unsetIfEmpty = (value: unknown) => (value === '' ? undefined : value);

/** `base`, refined to a URL whose scheme is one of `protocols`. */
function urlWith<S extends z.ZodType<string>>(base: S, protocols: readonly string[]) {
  return base.refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL starting with ${protocols.join(' or ')}//` },
  );
}

/** Environment variable readers shared by every service. */
export const envVar = {
  int: (defaultValue: number, min: number, max: number) =>
    z.preprocess(unsetIfEmpty, z.coerce.number().int().min(min).max(max).default(defaultValue)),
  port: (defaultValue: number) =>
    z.preprocess(unsetIfEmpty, z.coerce.number().int().min(0).max(65535).default(defaultValue)),
  url: (defaultValue: string | undefined, protocols: readonly string[]) =>
    z.preprocess(
      unsetIfEmpty,
      urlWith(defaultValue === undefined ? z.string() : z.string().default(defaultValue), protocols),
    ),
  optionalUrl: (protocols: readonly string[]) => z.preprocess(unsetIfEmpty, urlWith(z.string(), protocols).optional()),
  string: (defaultValue: string) => z.preprocess(unsetIfEmpty, z.string().default(defaultValue)),
  optionalString: () => z.preprocess(unsetIfEmpty, z.string().optional()),
  enumOf: <T extends readonly [string, ...string[]]>(values: T, defaultValue: T[number]) =>
    z.preprocess(unsetIfEmpty, z.enum(values).default(defaultValue as never)),
};

/** Parses `env` with `schema`; throws ConfigError naming the first bad variable. */
export function readConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`);
  throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
}

/** Used outside production only, with a warning: a known secret protects nothing. */
export const DEVELOPMENT_GATEWAY_SECRET = 'storefront-development-secret-do-not-use-in-production';
/**
 * Secrets published in this repository (the defaults above and in docker-compose.yml): warned about
 * wherever they are used.
 */
const PUBLISHED_SECRETS = [DEVELOPMENT_GATEWAY_SECRET, 'compose-development-secret-change-me-0123456789'];
export const MIN_GATEWAY_SECRET_LENGTH = 32;

/** The settings every service and the gateway share (docs/CONTRACT.md "Services"). */
export const commonEnv = {
  NODE_ENV: envVar.string('development'),
  LOG_LEVEL: envVar.enumOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
  REDIS_KEY_PREFIX: envVar.string('storefront:'),
  GATEWAY_SECRET: envVar.optionalString(),
};

/** A service's two ports: the public one, and GET /metrics's own (0 turns the metrics off). */
export function servicePorts(port: number, metricsPort: number) {
  return { PORT: envVar.port(port), METRICS_PORT: envVar.port(metricsPort) };
}

export interface GatewaySecret {
  secret: string;
  /** Set when the development default is in use, so the caller can log it once. */
  warning?: string;
}

/** GATEWAY_SECRET is required in production; elsewhere a fixed development default stands in. */
export function resolveGatewaySecret(nodeEnv: string, secret: string | undefined): GatewaySecret {
  if (secret !== undefined) {
    if (secret.length < MIN_GATEWAY_SECRET_LENGTH) {
      throw new ConfigError(
        `Invalid configuration: GATEWAY_SECRET must be at least ${MIN_GATEWAY_SECRET_LENGTH} characters`,
      );
    }
    return PUBLISHED_SECRETS.includes(secret)
      ? {
          secret,
          warning: 'GATEWAY_SECRET is a value published in this repository: set your own before going to production.',
        }
      : { secret };
  }
  if (nodeEnv === 'production') {
    throw new ConfigError('Invalid configuration: GATEWAY_SECRET is required when NODE_ENV=production');
  }
  return {
    secret: DEVELOPMENT_GATEWAY_SECRET,
    warning: 'GATEWAY_SECRET is not set: using the development default. Set it before going to production.',
  };
}
