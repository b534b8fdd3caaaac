import { randomBytes } from 'node:crypto';
import { z } from 'zod';

const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/sg_supervision';

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
    .optional()
    .transform((v) => (v === undefined || v === '' ? fallback : ['true', '1', 'yes'].includes(v)));

/** Every environment variable the bot reads; .env.example documents each one. */
const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: z.coerce.number().int().min(1).max(65535).default(3978),
    PROCESS_ROLE: z.enum(['all', 'web', 'worker']).default('all'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    DATABASE_URL: z.string().url().default(DEFAULT_DATABASE_URL),
    DATABASE_SCHEMA: optionalString,
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
    REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
    REDIS_PREFIX: z.string().regex(/^[\w:-]+$/).default('sgs'),
    // Teams' documented budget per bot app per tenant (requests a second); raise it only if
    // Microsoft has raised it for the app.
    TEAMS_TENANT_RATE_LIMIT: z.coerce.number().int().min(1).max(1000).default(50),
    MIGRATE_ON_START: flag(true),
    MICROSOFT_APP_ID: optionalString,
    MICROSOFT_APP_PASSWORD: optionalString,
    // SingleTenant by default: tokens are accepted only from the trust's own Entra tenant.
    MICROSOFT_APP_TYPE: z.enum(['MultiTenant', 'SingleTenant', 'UserAssignedMSI']).default('SingleTenant'),
    MICROSOFT_APP_TENANT_ID: optionalString,
    SLACK_SIGNING_SECRET: optionalString,
    SLACK_BOT_TOKEN: optionalString,
    SLACK_API_URL: optionalString.pipe(z.string().url().optional()),
    PUBLIC_BASE_URL: optionalString.pipe(z.string().url().optional()),
    LINK_SECRET: optionalString.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
    PLAYGROUND: flag(true),
    PLAYGROUND_PORT: z.coerce.number().int().min(1).max(65535).default(56150),
    METRICS_TOKEN: optionalString.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
    METRICS_PORT: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(1).max(65535).optional()),
    METRICS_HOST: z.string().trim().min(1).default('127.0.0.1'),
    // The last-known copy of the organisations' urgent routes (urgent-copy.ts): a web process that
    // starts while PostgreSQL is unreachable gives people at risk their organisation's routes from it.
    URGENT_COPY_FILE: z.string().trim().min(1).default('.sg-state/urgent-routes.json'),
    // Where a web process keeps urgent reports it could not record while PostgreSQL was unreachable
    // (urgent-spool.ts), until it replays them: give it a persistent volume.
    URGENT_SPOOL_DIR: z.string().trim().min(1).default('.sg-state/urgent-spool'),
    ADMIN_DASHBOARD_USER: optionalString,
    ADMIN_DASHBOARD_PASSWORD: optionalString.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  })
  .superRefine((env, ctx) => {
    if (env.MICROSOFT_APP_ID && env.MICROSOFT_APP_TYPE !== 'UserAssignedMSI' && !env.MICROSOFT_APP_PASSWORD) {
      ctx.addIssue({ code: 'custom', path: ['MICROSOFT_APP_PASSWORD'], message: 'is required when MICROSOFT_APP_ID is set (unless MICROSOFT_APP_TYPE=UserAssignedMSI)' });
    }
    if (env.MICROSOFT_APP_TYPE !== 'MultiTenant' && env.MICROSOFT_APP_ID && !env.MICROSOFT_APP_TENANT_ID) {
      ctx.addIssue({ code: 'custom', path: ['MICROSOFT_APP_TENANT_ID'], message: `is required when MICROSOFT_APP_TYPE=${env.MICROSOFT_APP_TYPE}` });
    }
    if (Boolean(env.SLACK_SIGNING_SECRET) !== Boolean(env.SLACK_BOT_TOKEN)) {
      ctx.addIssue({ code: 'custom', path: ['SLACK_BOT_TOKEN'], message: 'SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN must be set together' });
    }
    if ((env.MICROSOFT_APP_ID || env.SLACK_SIGNING_SECRET) && !env.LINK_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['LINK_SECRET'], message: 'is required with platform credentials (it signs the links the bot serves; every web process needs the same one)' });
    }
    if ((env.MICROSOFT_APP_ID || env.SLACK_SIGNING_SECRET) && !env.PUBLIC_BASE_URL) {
      ctx.addIssue({ code: 'custom', path: ['PUBLIC_BASE_URL'], message: 'is required with platform credentials (the https address people reach the bot at)' });
    }
    if (Boolean(env.ADMIN_DASHBOARD_USER) !== Boolean(env.ADMIN_DASHBOARD_PASSWORD)) {
      ctx.addIssue({ code: 'custom', path: ['ADMIN_DASHBOARD_PASSWORD'], message: 'ADMIN_DASHBOARD_USER and ADMIN_DASHBOARD_PASSWORD must be set together' });
    }
    if (env.NODE_ENV === 'production' && !env.MICROSOFT_APP_ID && !env.SLACK_SIGNING_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['MICROSOFT_APP_ID'], message: 'production needs Teams or Slack credentials; local mode is for development only' });
    }
  });

export type Env = z.infer<typeof envSchema>;

export interface Config extends Env {
  /** Where links the bot serves point (calendar invites): PUBLIC_BASE_URL, or localhost in local mode. */
  publicBaseUrl: string;
  /** Signs those links: LINK_SECRET, or a random one per process in local mode. */
  linkSecret: string;
  /**
   * No platform credentials: the bot runs against the Agents Playground with demo data and
   * no authentication. Never true when any credential is set.
   */
  localMode: boolean;
  teamsAuthEnabled: boolean;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Read and validate the environment, failing with one line per problem. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.') || '(environment)'}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}\nSee .env.example for every setting.`);
  }
  const env = parsed.data;
  const hasCredentials = Boolean(env.MICROSOFT_APP_ID || env.SLACK_SIGNING_SECRET);
  return {
    ...env,
    localMode: !hasCredentials,
    teamsAuthEnabled: Boolean(env.MICROSOFT_APP_ID),
    publicBaseUrl: (env.PUBLIC_BASE_URL ?? `http://localhost:${env.PORT}`).replace(/\/$/, ''),
    linkSecret: env.LINK_SECRET ?? randomBytes(32).toString('base64url'),
  };
}
