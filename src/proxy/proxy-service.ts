/**
 * The proxy (API.md §8): a backend calls a provider's API through Custodian and never holds the token.
 * The connection is read fresh (refreshed through its workflow when due, as `GET /connections/:id`
 * does), its strategy puts the credentials on the request, the answer streams back as it came. A 401
 * on a connection whose credentials can be renewed forces one refresh and one retry; `Retries: n`
 * retries network errors, 5xx, 429 and `Retry-On` statuses of requests that are safe to send again.
 */
import type { Readable } from 'node:stream';
import { strategyOfCredentials, type OutgoingRequest } from '../../providers/auth-modes';
import { lowerCaseNames } from '../../providers/auth-modes/outgoing-request';
import { ProviderCallError } from '../../providers/calls/provider-call-error';
import { providerTimeoutMs } from '../../providers/calls/provider-timeout';
import { retryAfterMsOf } from '../../providers/calls/call-provider';
import { streamProvider, type StreamAnswer } from '../../providers/calls/stream-provider';
import type { ProviderEntry } from '../../providers/catalog-schema';
import type { HostLookup } from '../../providers/net/guarded-agent';
import type { Config } from '../config';
import type { ConnectionService } from '../connections/connection-service';
import { InvalidCredentialsError } from '../connections/connection-service';
import type { ConnectionStore } from '../connections/connection-store';
import type { Credentials } from '../connections/credentials';
import type { Cipher } from '../crypto/cipher';
import type { ConnectionEntity, EnvironmentEntity, IntegrationEntity } from '../db/entities';
import { CustodianError, RateLimitedError } from '../errors';
import type { DataSource } from 'typeorm';
import { RateBudgets, type Bucket } from './rate-budget';
import { catalogEntryOf } from '../integrations/catalog-entry';
import { integrationClientOf, type IntegrationStore } from '../integrations/integration-store';
import type { Catalog } from '../../providers/load-catalog';
import { providerUnavailable } from '../provider-unavailable-error';
import { bodyToSend, isReplayable, type ProxyBody } from './proxy-body';
import type { ProxyControl } from './proxy-headers';
import { decompressed, discard, returnedHeaders } from './proxy-response';
import { proxyTarget } from './proxy-target';

/** Redirects followed per call (as axios, which Nango's proxy uses, does by default). */
const MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Methods that are safe to send twice (RFC 9110 §9.2.2). */
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 10_000;
/** How long a call may wait in line for its rate budget before it is answered 429. */
const QUEUE_MS = 2_000;
/** A provider asking to wait longer than this is answered as it is: the caller decides. */
const MAX_RETRY_WAIT_MS = 60_000;

export interface ProxyServiceDeps {
  db: DataSource;
  catalog: Catalog;
  cipher: Cipher;
  config: Pick<Config, 'providerTimeoutMs' | 'allowPrivateNetworkTargets'>;
  integrations: IntegrationStore;
  connections: ConnectionStore;
  service: ConnectionService;
  /** The guarded agent's resolver (tests); the system resolver by default. */
  lookup?: HostLookup;
}

/** One proxied call as the route read it. */
export interface ProxyCall {
  environment: EnvironmentEntity;
  method: string;
  /** Path and query after `/proxy`. */
  endpoint: string;
  control: ProxyControl;
  /** Headers for the provider (`Nango-Proxy-*` less the prefix, and the body's Content-Type). */
  forwarded: Readonly<Record<string, string>>;
  body: ProxyBody;
}

/** What goes back to the caller. */
export interface ProxyAnswer {
  status: number;
  headers: Record<string, string | string[]>;
  body: Readable;
}

interface Target {
  environment: EnvironmentEntity;
  integration: IntegrationEntity;
  entry: ProviderEntry;
  row: ConnectionEntity;
}

export class ProxyService {
  private readonly budgets: RateBudgets;

  constructor(private readonly deps: ProxyServiceDeps) {
    this.budgets = new RateBudgets(deps.db);
  }

  async forward(call: ProxyCall): Promise<ProxyAnswer> {
    const target = await this.find(call);
    let row = await this.readFresh(target, false);
    let refreshed = false;
    for (let attempt = 0; ; attempt++) {
      const credentials = this.deps.connections.credentialsOf(row);
      const secrets = strategyOfCredentials(credentials).secretsOf(credentials);
      await this.withinBudget(target);
      let answer: StreamAnswer;
      try {
        answer = await this.send(call, target, row, credentials, secrets);
      } catch (error) {
        if (!(error instanceof ProviderCallError)) throw error;
        if (error.kind === 'transient' && this.mayRetry(call, attempt)) {
          await pause(backoffMs(attempt));
          continue;
        }
        throw providerUnavailable(error.code, error.message, error) ?? error;
      }
      if (answer.status === 401 && !refreshed && this.renewable(target.entry, credentials) && isReplayable(call.body)) {
        await discard(answer.body);
        row = await this.readFresh({ ...target, row }, true);
        refreshed = true;
        continue;
      }
      const wait = this.retryWaitMs(call, target.entry, answer, attempt);
      if (wait !== null) {
        await discard(answer.body);
        await pause(wait);
        continue;
      }
      return this.present(call, target.entry, answer, secrets);
    }
  }

  private async find(call: ProxyCall): Promise<Target> {
    const { environment, control } = call;
    const integration = await this.deps.integrations.find(environment.id, control.providerConfigKey);
    if (!integration) throw new CustodianError('unknown_provider_config', `There is no integration with provider_config_key "${control.providerConfigKey}"`, { variant: 'not_found' });
    const entry = catalogEntryOf(this.deps.catalog, integration);
    const row = await this.deps.connections.find(environment.id, integration.id, control.connectionId);
    if (!row) throw new CustodianError('unknown_connection', `Connection "${control.connectionId}" does not exist`);
    return { environment, integration, entry, row };
  }

  /** The connection with credentials valid for at least the margin (forced: renewed now), its read recorded. */
  private async readFresh(target: Target, forceRefresh: boolean): Promise<ConnectionEntity> {
    const now = new Date();
    try {
      const fresh = await this.deps.service.readFresh({ environment: target.environment, integration: target.integration }, target.row, { forceRefresh, now });
      this.deps.connections.touchFetched(fresh, now);
      return fresh;
    } catch (error) {
      if (!(error instanceof InvalidCredentialsError)) throw error;
      throw new CustodianError('invalid_credentials', error.message, { variant: error.backingOff ? 'backing_off' : undefined });
    }
  }

  /**
   * Waits for a token of the connection's and the integration's budgets (the catalog's `proxy.rate_limit`)
   * when one is back within QUEUE_MS; otherwise 429 `rate_limited` with the wait as Retry-After, before
   * the provider would throttle.
   */
  private async withinBudget(target: Target): Promise<void> {
    const limit = target.entry.proxy?.rate_limit;
    if (limit === undefined) return;
    const buckets: Bucket[] = [];
    const bucket = (key: string, rate: { perSecond: number } | undefined) => {
      if (rate) buckets.push({ key, budget: { perSecond: rate.perSecond, burst: limit.burst ?? Math.max(1, Math.ceil(rate.perSecond)) } });
    };
    bucket(`c:${target.row.id}`, limit.per_connection);
    bucket(`i:${target.integration.id}`, limit.per_integration);
    const queuedUntil = Date.now() + QUEUE_MS;
    for (;;) {
      const draw = await this.budgets.take(buckets);
      if (draw.granted) return;
      if (Date.now() + draw.retryAfterMs > queuedUntil) {
        throw new RateLimitedError(Math.max(1, Math.ceil(draw.retryAfterMs / 1000)), `The proxy budget of ${target.integration.uniqueKey} is spent for now (${[limit.per_connection?.text && `${limit.per_connection.text} per connection`, limit.per_integration?.text && `${limit.per_integration.text} per integration`].filter(Boolean).join(', ')})`);
      }
      await pause(draw.retryAfterMs);
    }
  }

  /** Whether a 401 may be answered by renewing the credentials (a token the provider issued, not a typed key). */
  private renewable(entry: ProviderEntry, credentials: Credentials): boolean {
    const kind = strategyOfCredentials(credentials).upkeep(entry, credentials).kind;
    return kind === 'refresh' || kind === 'mint';
  }

  /** Sends the call with the connection's credentials, following redirects. */
  private async send(call: ProxyCall, target: Target, row: ConnectionEntity, credentials: Credentials, secrets: readonly string[]): Promise<StreamAnswer> {
    const { entry, integration } = target;
    const url = proxyTarget({ entry, connectionConfig: row.connectionConfig, endpoint: call.endpoint, baseUrlOverride: call.control.baseUrlOverride, allowPrivateNetworkTargets: this.deps.config.allowPrivateNetworkTargets });
    // The strategy sees the caller's headers (a signature must cover them: SigV4's x-amz-target); the
    // caller's headers then merge last (API.md §8). The credential headers are those the strategy set or changed.
    const callerHeaders = lowerCaseNames(call.forwarded);
    const bare: OutgoingRequest = { method: call.method, url, headers: callerHeaders, ...(call.body.kind === 'buffered' ? { body: call.body.bytes } : {}) };
    const authorized = strategyOfCredentials(credentials).authorize(bare, { entry, credentials, connectionConfig: row.connectionConfig, client: integrationClientOf(this.deps.cipher, integration), now: new Date() });
    const credentialHeaders = Object.fromEntries(Object.entries(authorized.headers).filter(([name, value]) => callerHeaders[name] !== value));
    let request = { method: call.method, url: authorized.url, headers: { ...authorized.headers, ...callerHeaders }, body: call.body };
    const forwardOnRedirect = call.control.forwardHeadersOnRedirect ?? entry.proxy?.forward_headers_on_redirect ?? false;
    for (let hop = 0; ; hop++) {
      const answer = await streamProvider({
        provider: entry.display_name,
        url: request.url,
        method: request.method,
        headers: request.headers,
        body: bodyToSend(request.body),
        timeoutMs: providerTimeoutMs(entry, this.deps.config.providerTimeoutMs),
        secrets,
        refusePrivateTargets: !this.deps.config.allowPrivateNetworkTargets,
        lookup: this.deps.lookup,
      });
      const location = headerText(answer.headers.location);
      if (!REDIRECT_STATUSES.has(answer.status) || location === undefined || hop >= MAX_REDIRECTS) return answer;
      const next = new URL(location, request.url);
      // 301/302 of a POST and every 303 become a GET without body (as browsers and axios do); 307/308 keep both, if the body can be sent again.
      const asGet = answer.status === 303 || ((answer.status === 301 || answer.status === 302) && request.method === 'POST');
      if (!asGet && !isReplayable(request.body)) return answer;
      await discard(answer.body);
      const headers = { ...request.headers };
      if (next.origin !== request.url.origin && !forwardOnRedirect) {
        // Another host gets none of the connection's credentials.
        for (const name of Object.keys(credentialHeaders)) delete headers[name];
        delete headers.authorization;
        delete headers.cookie;
      }
      if (asGet) delete headers['content-type'];
      request = { method: asGet ? 'GET' : request.method, url: next, headers, body: asGet ? { kind: 'none' } : request.body };
    }
  }

  private mayRetry(call: ProxyCall, attempt: number): boolean {
    return attempt < call.control.retries && isReplayable(call.body) && (IDEMPOTENT_METHODS.has(call.method) || call.control.idempotent);
  }

  /** How long to wait before retrying this answer, or null to return it. */
  private retryWaitMs(call: ProxyCall, entry: ProviderEntry, answer: StreamAnswer, attempt: number): number | null {
    const declared = entry.proxy?.retry?.error_code ?? [];
    const retryable = answer.status >= 500 || answer.status === 429 || call.control.retryOn.includes(answer.status) || declared.some((code) => statusMatches(code, answer.status));
    if (!retryable || !this.mayRetry(call, attempt)) return null;
    const asked = providerWaitMs(entry, answer);
    if (asked !== undefined && asked > MAX_RETRY_WAIT_MS) return null;
    return asked ?? backoffMs(attempt);
  }

  private present(call: ProxyCall, entry: ProviderEntry, answer: StreamAnswer, secrets: readonly string[]): ProxyAnswer {
    const wanted = call.control.decompress ?? entry.proxy?.decompress ?? false;
    const body = wanted ? decompressed(answer.body, answer.headers['content-encoding']) : { body: answer.body, changed: false };
    return { status: answer.status, headers: returnedHeaders(answer.headers, secrets, body.changed), body: body.body };
  }
}

/** `Retry-After`, else the catalog's own rate-limit headers (`proxy.retry.after`: seconds; `proxy.retry.at`: epoch seconds or a date). */
function providerWaitMs(entry: ProviderEntry, answer: StreamAnswer): number | undefined {
  const now = new Date();
  const standard = retryAfterMsOf(headerText(answer.headers['retry-after']) ?? null, now);
  if (standard !== undefined) return standard;
  for (const name of entry.proxy?.retry?.after ?? []) {
    const value = retryAfterMsOf(headerText(answer.headers[name.toLowerCase()]) ?? null, now);
    if (value !== undefined) return value;
  }
  for (const name of entry.proxy?.retry?.at ?? []) {
    const text = headerText(answer.headers[name.toLowerCase()])?.trim();
    if (text === undefined) continue;
    const at = /^\d+(\.\d+)?$/.test(text) ? Number(text) * 1000 : Date.parse(text);
    if (!Number.isNaN(at)) return Math.max(0, at - now.getTime());
  }
  return undefined;
}

function backoffMs(attempt: number): number {
  return Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt) + Math.floor(Math.random() * 100);
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Whether a declared status (`503`, or a class such as `5xx`) covers `status`. */
function statusMatches(code: string, status: number): boolean {
  return code.endsWith('xx') ? Math.floor(status / 100) === Number(code[0]) : Number(code) === status;
}
