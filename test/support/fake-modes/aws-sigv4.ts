/**
 * The fake provider's AWS endpoints: a custom STS endpoint (`POST /aws/sts`, Nango's JSON protocol:
 * `{ role_arn, external_id, region, service }` → temporary credentials, behind an API key) and an AWS
 * API (`/aws/api/...`, any method) that checks each request's SigV4 signature with its own
 * canonicalisation (written from AWS's description, independently of the signer under test), the
 * session token and the clock.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { FakeProvider, FakeRouteRequest } from '../fake-provider';

export interface FakeAwsOptions {
  readonly stsApiKey: string;
  /** Role ARN → the external id its trust policy requires (undefined: any). */
  readonly roles: Readonly<Record<string, string | undefined>>;
  readonly service: string;
  /** Seconds the issued credentials live. */
  readonly lifetimeSeconds: number;
  /**
   * Leave `expiresAt` out of the answer (the client then assumes STS's default hour from its own clock):
   * for time-skipping tests, where the fake's wall clock and the workflow's clock part.
   */
  readonly omitExpiry?: boolean;
  readonly now?: () => Date;
}

export type SigV4Verdict = 'valid' | 'missing' | 'unknown_key' | 'wrong_scope' | 'bad_signature' | 'bad_token' | 'stale' | 'unsigned_amz_header';

export interface FakeAws {
  /** Each AssumeRole asked, with its answer. */
  readonly assumed: Array<{ roleArn: unknown; externalId: unknown; region: unknown; accepted: boolean }>;
  /** Access key id → its secret and session token. */
  readonly issued: Map<string, { secret: string; sessionToken: string; region: string }>;
  readonly verdicts: SigV4Verdict[];
}

// AWS refuses a request whose x-amz-date is more than 15 minutes off.
const MAX_SKEW_MS = 15 * 60_000;

/** Mounts `POST /aws/sts` and `GET|POST /aws/api/echo`; registers everything it issues for history audits. */
export function mountFakeAws(provider: FakeProvider, options: FakeAwsOptions): FakeAws {
  const state: FakeAws = { assumed: [], issued: new Map(), verdicts: [] };
  provider.rememberSecrets(options.stsApiKey);
  provider.mount('POST', '/aws/sts', ({ req, body }) => {
    if (req.headers['x-api-key'] !== options.stsApiKey) return { status: 401, body: { error: 'unauthorized' } };
    const roleArn = body['role_arn'];
    const required = typeof roleArn === 'string' && Object.hasOwn(options.roles, roleArn) ? { known: true, externalId: options.roles[roleArn] } : { known: false };
    const accepted = required.known && (required.externalId === undefined || required.externalId === body['external_id']) && body['service'] === options.service;
    state.assumed.push({ roleArn, externalId: body['external_id'], region: body['region'], accepted });
    if (!accepted) return { status: 403, body: { error: 'AccessDenied' } };
    const accessKeyId = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
    const issued = { secret: randomBytes(20).toString('base64'), sessionToken: randomBytes(32).toString('base64'), region: String(body['region']) };
    state.issued.set(accessKeyId, issued);
    provider.rememberSecrets(issued.secret, issued.sessionToken);
    const expiresAt = Math.floor(((options.now?.() ?? new Date()).getTime() + options.lifetimeSeconds * 1000) / 1000);
    const answer = { accessKeyId, secretAccessKey: issued.secret, sessionToken: issued.sessionToken, ...(options.omitExpiry ? {} : { expiresAt }) };
    return { status: 200, body: { credentials: answer } };
  });
  for (const method of ['GET', 'POST']) {
    provider.mount(method, '/aws/api/echo', (request) => {
      const verdict = verifySigV4(request, state, options);
      state.verdicts.push(verdict);
      return verdict === 'valid' ? { status: 200, body: { ok: true } } : { status: 403, body: { message: verdict } };
    });
  }
  return state;
}

function verifySigV4({ req, url, rawBody }: FakeRouteRequest, state: FakeAws, options: FakeAwsOptions): SigV4Verdict {
  const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(String(req.headers.authorization ?? ''));
  if (!match) return 'missing';
  const [, accessKeyId = '', date = '', region, service, signedHeaders = '', signature] = match;
  const issued = state.issued.get(accessKeyId);
  if (!issued) return 'unknown_key';
  if (region !== issued.region || service !== options.service) return 'wrong_scope';
  if (req.headers['x-amz-security-token'] !== issued.sessionToken || !signedHeaders.split(';').includes('x-amz-security-token')) return 'bad_token';
  // AWS requires every x-amz-* header sent (x-amz-target of DynamoDB, for one) to be signed.
  if (Object.keys(req.headers).some((name) => name.startsWith('x-amz-') && !signedHeaders.split(';').includes(name))) return 'unsigned_amz_header';
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const when = Date.parse(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
  if (Number.isNaN(when) || Math.abs(when - (options.now?.() ?? new Date()).getTime()) > MAX_SKEW_MS) return 'stale';
  const canonicalHeaders = signedHeaders.split(';').map((name) => `${name}:${String(req.headers[name] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const query = [...url.searchParams].map(([k, v]) => `${awsEncode(k)}=${awsEncode(v)}`).sort().join('&');
  const path = url.pathname.split('/').map((segment) => awsEncode(segment)).join('/');
  const canonical = [req.method ?? 'GET', path, query, canonicalHeaders, signedHeaders, sha256(rawBody)].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${sha256(canonical)}`;
  let key: Buffer = createHmac('sha256', `AWS4${issued.secret}`).update(date).digest();
  for (const part of [region ?? '', service ?? '', 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  return createHmac('sha256', key).update(toSign).digest('hex') === signature ? 'valid' : 'bad_signature';
}

function awsEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
