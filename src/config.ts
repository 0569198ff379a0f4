/**
 * Configuration, parsed once from the environment with a schema. Every bad setting is reported
 * together (one line each) and the process stops; the result is frozen.
 */
import { z } from 'zod';
import { MAX_PROVIDER_TIMEOUT_MS } from '../providers/calls/provider-timeout';
import { ConfigError } from './errors';
import type { RateLimit } from './api/rate-limit';

const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `500ms`, `20s`, `15m`, `24h`, `1d` into milliseconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * (UNIT_MS[match[2] as string] as number);
}

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: `must be a duration like 500ms, 20s, 15m, 24h or 1d (got "${text}")` });
        return z.NEVER;
      }
      return ms;
    });

const booleanFlag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).transform((u) => u.replace(/\/+$/, ''));

/** Comma-separated http(s) origins (no path, query or wildcard), each kept as its `URL.origin`. */
const originList = z.string().transform((text, ctx) => {
  const origins: string[] = [];
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    let url: URL | undefined;
    try {
      url = new URL(part);
    } catch {
      url = undefined;
    }
    // A plain host name or IP literal: no CSP wildcard, nothing that could end the directive.
    const plainHost = url !== undefined && /^(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])$/.test(url.hostname);
    if (!url || !plainHost || !/^https?:$/.test(url.protocol) || part.replace(/\/+$/, '') !== url.origin) {
      ctx.addIssue({ code: 'custom', message: `each entry must be an http(s) origin like https://app.example.com (got "${part}")` });
      return z.NEVER;
    }
    origins.push(url.origin);
  }
  if (origins.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'must list at least one origin (leave it unset to allow any)' });
    return z.NEVER;
  }
  return origins;
});

/** A rate limit `<count>/<duration>`, e.g. `120/1m`. */
const rateLimit = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const [count, window] = text.split('/');
      const windowMs = window === undefined ? undefined : parseDuration(window);
      if (!/^\d+$/.test(count?.trim() ?? '') || Number(count) < 1 || windowMs === undefined || windowMs < 1) {
        ctx.addIssue({ code: 'custom', message: `must be <count>/<duration> like 120/1m (got "${text}")` });
        return z.NEVER;
      }
      return Object.freeze({ limit: Number(count), windowMs });
    });

const KEY_ENTRY = /^([A-Za-z0-9_-]{1,32})=([A-Za-z0-9+/]+={0,2})$/;

/** One encryption key: its id and 32 bytes of key material. */
export interface EncryptionKey {
  readonly id: string;
  readonly key: Buffer;
}

const encryptionKeys = z.string().transform((text, ctx) => {
  const keys: EncryptionKey[] = [];
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const match = KEY_ENTRY.exec(part);
    const key = match ? Buffer.from(match[2] as string, 'base64') : undefined;
    if (!match || key?.length !== 32) {
      // Never echo the key material itself.
      ctx.addIssue({ code: 'custom', message: 'each entry must be kid=<base64 of 32 bytes>, comma-separated' });
      return z.NEVER;
    }
    if (keys.some((k) => k.id === match[1])) {
      ctx.addIssue({ code: 'custom', message: `key id "${match[1]}" is listed twice` });
      return z.NEVER;
    }
    keys.push({ id: match[1] as string, key });
  }
  if (keys.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'must list at least one kid=<base64 key>' });
    return z.NEVER;
  }
  return keys;
});

/** A whole number of slots, pollers or cached workflows, at least `min`. */
const workerCount = (min: number) => z.coerce.number({ error: 'must be a whole number' }).int('must be a whole number').min(min, `must be at least ${min}`);

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

const envSchema = z.object({
  /** Port the API listens on. */
  PORT: z.coerce.number().int().min(1).max(65535).default(3003),
  /** Public base URL of the API (used in links and the OAuth callback). */
  SERVER_URL: httpUrl.optional(),
  /** Public base URL of the Connect UI (default SERVER_URL/connect). */
  CONNECT_URL: httpUrl.optional(),
  /** Origins allowed to frame the Connect UI (its CSP `frame-ancestors`); unset → `*`. */
  CONNECT_UI_FRAME_ANCESTORS: originList.optional(),
  /** PostgreSQL connection string; unset in dev → embedded PGlite under .data/. */
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL' }).optional(),
  /** Temporal frontend host:port; unset in dev → the CLI dev server is spawned. */
  TEMPORAL_ADDRESS: z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'must be host:port').optional(),
  /** Port of the Temporal dev server `npm run dev` starts (dev mode, TEMPORAL_ADDRESS unset). */
  TEMPORAL_DEV_PORT: z.coerce.number().int().min(1).max(65535).default(7233),
  /** Port of the Temporal Web UI `npm run dev` starts. */
  TEMPORAL_UI_PORT: z.coerce.number().int().min(1).max(65535).default(8233),
  /** Temporal namespace. */
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  /** Task queue of the worker. */
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('custodian'),
  /** Client certificate (PEM) for mTLS to Temporal. */
  TEMPORAL_TLS_CERT: z.string().optional(),
  /** Client key (PEM) for mTLS to Temporal. */
  TEMPORAL_TLS_KEY: z.string().optional(),
  /** Server CA (PEM) for TLS to Temporal. */
  TEMPORAL_TLS_CA: z.string().optional(),
  /** Server name override for TLS to Temporal. */
  TEMPORAL_TLS_SERVER_NAME: z.string().optional(),
  /** Temporal Cloud API key (implies TLS). */
  TEMPORAL_API_KEY: z.string().optional(),
  /** Workflow tasks one worker runs at once (SDK default 40). */
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: workerCount(2).optional(),
  /** Activities one worker runs at once (SDK default 100). */
  WORKER_MAX_CONCURRENT_ACTIVITIES: workerCount(1).optional(),
  /**
   * Workflows one worker keeps in its sticky cache (0 turns the cache off). 500, not the SDK's default (from
   * the heap size: 2,310 at 4 GiB), which held a worker of 10,000 sleeping connections at 1.25 GiB (bench `sleeping`).
   */
  WORKER_MAX_CACHED_WORKFLOWS: workerCount(0).refine((n) => n !== 1, { message: 'must be 0 (no cache) or at least 2' }).default(500),
  /** Concurrent polls for workflow tasks (SDK default 10). */
  WORKER_WORKFLOW_POLLERS: workerCount(1).optional(),
  /** Concurrent polls for activity tasks (SDK default 10). */
  WORKER_ACTIVITY_POLLERS: workerCount(1).optional(),
  /** Encryption keys `kid=base64key,...`; the first one writes. Required in production. */
  ENCRYPTION_KEYS: encryptionKeys.optional(),
  /** Refuse encrypted values written without associated data (set once `keys:rotate` has rewritten them all). */
  ENCRYPTION_REFUSE_LEGACY: booleanFlag.default(false),
  /** Secret key of the dev environment (UUID v4); generated and printed once when unset. */
  CUSTODIAN_SECRET_KEY: z.string().regex(UUID_V4, 'must be a UUID v4').optional(),
  /** How long before expiry a token is refreshed. */
  REFRESH_MARGIN: duration('15m'),
  /** Least time between two provider calls of one connection that forced refreshes may cause (0 turns it off). */
  REFRESH_FLOOR: duration('5s'),
  /** How often API key, basic and verifiable OAuth 1.0a credentials are re-checked against the provider. */
  VERIFY_INTERVAL: duration('24h'),
  /** `by-use`: only connections read lately are refreshed ahead of expiry, idle ones at a keep-alive; `always`: every connection at every expiry. */
  REFRESH_POLICY: z.enum(['by-use', 'always']).default('by-use'),
  /** by-use: a connection read (GET or proxy) within this window is kept fresh ahead of expiry. */
  ACTIVE_WINDOW: duration('24h'),
  /** by-use: an idle connection is still renewed this long after its last renewal (keeps refresh tokens alive, finds revoked ones). */
  IDLE_RENEW_INTERVAL: duration('24h'),
  /** How often the worker starts connection workflows whose start failed after their credentials were stored (Temporal was unreachable). */
  WORKFLOW_START_RETRY_INTERVAL: duration('30s').refine((ms) => ms >= 1_000, { message: 'must be at least 1s' }),
  /** Timeout of one provider call (token endpoint, OAuth 1.0a, verification); a catalog entry's `request_timeout` overrides it. */
  PROVIDER_TIMEOUT: duration('60s').refine((ms) => ms >= 1 && ms <= MAX_PROVIDER_TIMEOUT_MS, { message: `must be at most ${MAX_PROVIDER_TIMEOUT_MS / 60_000}m (and more than 0)` }),
  /** Timeout of one webhook delivery attempt. */
  WEBHOOK_TIMEOUT: duration('20s'),
  /** How long failed webhook deliveries are retried. */
  WEBHOOK_RETRY_FOR: duration('24h'),
  /** Whether webhooks and user-chosen provider hosts may target loopback/private addresses (default: true in dev, false in production). */
  ALLOW_PRIVATE_NETWORK_TARGETS: booleanFlag.optional(),
  /** Older name of ALLOW_PRIVATE_NETWORK_TARGETS, still read. */
  ALLOW_PRIVATE_WEBHOOK_TARGETS: booleanFlag.optional(),
  /** pino log level. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `json` lines, `pretty` lines for a person, or `auto`: pretty in dev mode on a terminal, JSON otherwise. */
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
  /** Extra Nango-format providers.yaml whose entries add to the catalog. */
  PROVIDERS_FILE: z.string().min(1).optional(),
  /** Directory for dev-mode state (embedded database, Temporal SQLite file, local key). */
  CUSTODIAN_DATA_DIR: z.string().min(1).default('.data'),
  /** Take the client address for per-IP limits from the last X-Forwarded-For entry (behind a proxy); default: the socket's address. */
  TRUST_PROXY: booleanFlag.default(false),
  /** Per-IP limit of `POST /connect/telemetry`. */
  RATE_LIMIT_TELEMETRY: rateLimit('120/1m'),
  /** Per-IP limit of `GET /oauth/callback`. */
  RATE_LIMIT_OAUTH_CALLBACK: rateLimit('60/1m'),
  /** Per-IP limit of WebSocket upgrades. */
  RATE_LIMIT_WEBSOCKET: rateLimit('60/1m'),
  /** Per-IP limit of `GET /mcp/client-metadata/…` (authorization servers fetching our Client ID Metadata Documents). */
  RATE_LIMIT_CLIENT_METADATA: rateLimit('120/1m'),
  /** Open browser WebSockets per process. */
  WEBSOCKET_MAX_CONNECTIONS: z.coerce.number().int().min(1).default(10_000),
  /** Open browser WebSockets per client address. */
  WEBSOCKET_MAX_PER_IP: z.coerce.number().int().min(1).default(50),
  /** Origins a browser WebSocket may come from; unset → any. */
  WEBSOCKET_ALLOWED_ORIGINS: originList.optional(),
  /** Authorization attempts one connect session may start. */
  CONNECT_SESSION_MAX_ATTEMPTS: z.coerce.number().int().min(1).default(20),
  /** `npm run dev` serves the demo OAuth 2.0 provider and prints a ready connect link (dev mode only; default true). */
  DEMO_PROVIDER: booleanFlag.optional(),
});

/** Names of every environment variable Custodian reads. */
export const CONFIG_VARIABLES: readonly string[] = Object.freeze(Object.keys(envSchema.shape));

/** The validated, frozen configuration. */
/** Which connections are renewed ahead of expiry (REFRESH_POLICY, ACTIVE_WINDOW, IDLE_RENEW_INTERVAL). */
export interface RefreshPolicy {
  readonly mode: 'by-use' | 'always';
  readonly activeWindowMs: number;
  readonly idleRenewIntervalMs: number;
}

export interface Config {
  readonly mode: 'dev' | 'production';
  readonly port: number;
  readonly serverUrl: string;
  readonly connectUrl: string;
  /** Origins that may frame the Connect UI; undefined: any (`frame-ancestors *`). */
  readonly connectUiFrameAncestors: readonly string[] | undefined;
  readonly databaseUrl?: string;
  readonly temporal: {
    readonly address?: string;
    /** The dev server's frontend and Web UI ports (used when address is unset). */
    readonly devPort: number;
    readonly uiPort: number;
    readonly namespace: string;
    readonly taskQueue: string;
    readonly tls?: { readonly cert?: string; readonly key?: string; readonly ca?: string; readonly serverName?: string };
    readonly apiKey?: string;
  };
  /** Worker tuning (WORKER_*); undefined: the Temporal SDK's default (the cache has a default of its own). */
  readonly worker: WorkerTuning;
  readonly encryptionKeys?: readonly EncryptionKey[];
  /** ENCRYPTION_REFUSE_LEGACY: values without associated data fail to decrypt (keys:rotate still reads them). */
  readonly refuseLegacyCiphertexts: boolean;
  readonly secretKey?: string;
  readonly refreshMarginMs: number;
  /** REFRESH_FLOOR: a forced refresh this soon after the last provider call answers with the current state. */
  readonly refreshFloorMs: number;
  readonly verifyIntervalMs: number;
  /** REFRESH_POLICY, ACTIVE_WINDOW and IDLE_RENEW_INTERVAL: which connections are renewed ahead of expiry. */
  readonly refreshPolicy: RefreshPolicy;
  /** WORKFLOW_START_RETRY_INTERVAL: how often the worker retries connection workflow starts that failed. */
  readonly workflowStartRetryIntervalMs: number;
  /** Limit of one provider call (PROVIDER_TIMEOUT). */
  readonly providerTimeoutMs: number;
  readonly webhookTimeoutMs: number;
  readonly webhookRetryForMs: number;
  /** Webhooks and provider hosts taken from connection config may be private (ALLOW_PRIVATE_NETWORK_TARGETS). */
  readonly allowPrivateNetworkTargets: boolean;
  readonly logLevel: string;
  /** LOG_FORMAT: see {@link wantsPrettyLogs} in logger.ts. */
  readonly logFormat: 'auto' | 'json' | 'pretty';
  readonly providersFile?: string;
  readonly dataDir: string;
  /** TRUST_PROXY: per-IP limits key on the last X-Forwarded-For entry instead of the socket's address. */
  readonly trustProxy: boolean;
  /** Per-IP limits of the unauthenticated routes. */
  readonly rateLimits: { readonly telemetry: RateLimit; readonly oauthCallback: RateLimit; readonly websocketUpgrade: RateLimit; readonly clientMetadata: RateLimit };
  /** Caps of the browser WebSocket; allowedOrigins undefined: any Origin. */
  readonly websocket: { readonly maxConnections: number; readonly maxPerIp: number; readonly allowedOrigins: readonly string[] | undefined };
  /** Authorization attempts one connect session may start. */
  readonly maxAttemptsPerSession: number;
  /** DEMO_PROVIDER: `npm run dev` serves the demo provider (never in production mode). */
  readonly demoProvider: boolean;
}

/** The worker's concurrency, sticky cache and pollers, as `Worker.create` options. */
export interface WorkerTuning {
  readonly maxConcurrentWorkflowTaskExecutions?: number;
  readonly maxConcurrentActivityTaskExecutions?: number;
  readonly maxCachedWorkflows?: number;
  /** Most concurrent workflow-task polls. */
  readonly workflowPollers?: number;
  /** Most concurrent activity-task polls. */
  readonly activityPollers?: number;
}

/** Parses the environment; throws ConfigError listing every problem. */
export function parseConfig(env: NodeJS.ProcessEnv): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = envSchema.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `${String(i.path[0] ?? '(env)')}: ${i.message}`));
  }
  const e = result.data;
  const mode = e.DATABASE_URL && e.TEMPORAL_ADDRESS ? 'production' : 'dev';
  const problems: string[] = [];
  if (mode === 'production' && !e.ENCRYPTION_KEYS) {
    problems.push('ENCRYPTION_KEYS: required in production mode (DATABASE_URL and TEMPORAL_ADDRESS set)');
  }
  if (Boolean(e.TEMPORAL_TLS_CERT) !== Boolean(e.TEMPORAL_TLS_KEY)) {
    problems.push('TEMPORAL_TLS_CERT / TEMPORAL_TLS_KEY: give both or neither');
  }
  if (e.ALLOW_PRIVATE_NETWORK_TARGETS !== undefined && e.ALLOW_PRIVATE_WEBHOOK_TARGETS !== undefined && e.ALLOW_PRIVATE_NETWORK_TARGETS !== e.ALLOW_PRIVATE_WEBHOOK_TARGETS) {
    problems.push('ALLOW_PRIVATE_WEBHOOK_TARGETS: is the older name of ALLOW_PRIVATE_NETWORK_TARGETS and disagrees with it');
  }
  if (mode === 'production' && e.DEMO_PROVIDER === true) {
    problems.push('DEMO_PROVIDER: the demo provider runs in dev mode only (unset it in production)');
  }
  const cached = e.WORKER_MAX_CACHED_WORKFLOWS;
  if (cached > 0 && e.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS !== undefined && e.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS > cached) {
    problems.push('WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: cannot exceed WORKER_MAX_CACHED_WORKFLOWS (unless the cache is off, 0)');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const serverUrl = e.SERVER_URL ?? `http://localhost:${e.PORT}`;
  const hasTls = e.TEMPORAL_TLS_CERT || e.TEMPORAL_TLS_CA || e.TEMPORAL_TLS_SERVER_NAME;
  return Object.freeze({
    mode,
    port: e.PORT,
    serverUrl,
    connectUrl: e.CONNECT_URL ?? `${serverUrl}/connect`,
    connectUiFrameAncestors: e.CONNECT_UI_FRAME_ANCESTORS ? Object.freeze(e.CONNECT_UI_FRAME_ANCESTORS) : undefined,
    databaseUrl: e.DATABASE_URL,
    temporal: Object.freeze({
      address: e.TEMPORAL_ADDRESS,
      devPort: e.TEMPORAL_DEV_PORT,
      uiPort: e.TEMPORAL_UI_PORT,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      tls: hasTls
        ? Object.freeze({ cert: e.TEMPORAL_TLS_CERT, key: e.TEMPORAL_TLS_KEY, ca: e.TEMPORAL_TLS_CA, serverName: e.TEMPORAL_TLS_SERVER_NAME })
        : undefined,
      apiKey: e.TEMPORAL_API_KEY,
    }),
    worker: Object.freeze({
      maxConcurrentWorkflowTaskExecutions: e.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
      maxConcurrentActivityTaskExecutions: e.WORKER_MAX_CONCURRENT_ACTIVITIES,
      maxCachedWorkflows: e.WORKER_MAX_CACHED_WORKFLOWS,
      workflowPollers: e.WORKER_WORKFLOW_POLLERS,
      activityPollers: e.WORKER_ACTIVITY_POLLERS,
    }),
    encryptionKeys: e.ENCRYPTION_KEYS ? Object.freeze(e.ENCRYPTION_KEYS) : undefined,
    refuseLegacyCiphertexts: e.ENCRYPTION_REFUSE_LEGACY,
    secretKey: e.CUSTODIAN_SECRET_KEY,
    refreshMarginMs: e.REFRESH_MARGIN,
    refreshFloorMs: e.REFRESH_FLOOR,
    verifyIntervalMs: e.VERIFY_INTERVAL,
    refreshPolicy: { mode: e.REFRESH_POLICY, activeWindowMs: e.ACTIVE_WINDOW, idleRenewIntervalMs: e.IDLE_RENEW_INTERVAL },
    workflowStartRetryIntervalMs: e.WORKFLOW_START_RETRY_INTERVAL,
    providerTimeoutMs: e.PROVIDER_TIMEOUT,
    webhookTimeoutMs: e.WEBHOOK_TIMEOUT,
    webhookRetryForMs: e.WEBHOOK_RETRY_FOR,
    allowPrivateNetworkTargets: e.ALLOW_PRIVATE_NETWORK_TARGETS ?? e.ALLOW_PRIVATE_WEBHOOK_TARGETS ?? mode === 'dev',
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    providersFile: e.PROVIDERS_FILE,
    dataDir: e.CUSTODIAN_DATA_DIR,
    trustProxy: e.TRUST_PROXY,
    rateLimits: Object.freeze({ telemetry: e.RATE_LIMIT_TELEMETRY, oauthCallback: e.RATE_LIMIT_OAUTH_CALLBACK, websocketUpgrade: e.RATE_LIMIT_WEBSOCKET, clientMetadata: e.RATE_LIMIT_CLIENT_METADATA }),
    websocket: Object.freeze({
      maxConnections: e.WEBSOCKET_MAX_CONNECTIONS,
      maxPerIp: e.WEBSOCKET_MAX_PER_IP,
      allowedOrigins: e.WEBSOCKET_ALLOWED_ORIGINS ? Object.freeze(e.WEBSOCKET_ALLOWED_ORIGINS) : undefined,
    }),
    maxAttemptsPerSession: e.CONNECT_SESSION_MAX_ATTEMPTS,
    demoProvider: mode === 'dev' && (e.DEMO_PROVIDER ?? true),
  });
}

/** Parses process.env, or prints one line per problem and exits non-zero. */
export function loadConfigOrExit(): Config {
  try {
    return parseConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const line of error.problems) process.stderr.write(`config error: ${line}\n`);
      process.exit(1);
    }
    throw error;
  }
}
