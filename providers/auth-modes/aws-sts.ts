/**
 * Temporary AWS credentials for the role an end user's account lets the integration assume (Nango's
 * AWS_SIGV4 settings, kept on the integration): `builtin` calls AWS STS AssumeRole (signed SigV4 with
 * the integration's own access key), `custom` POSTs to the operator's own STS endpoint (JSON).
 */
import { randomBytes } from 'node:crypto';
import { ValidationError } from '../../src/errors';
import { callProvider, type ProviderAnswer } from '../calls/call-provider';
import type { CallContext, IntegrationClient } from './auth-mode';
import { signSigV4 } from './aws-sigv4-signing';

/** The integration's AWS_SIGV4 settings (its `custom` settings, secrets decrypted). */
export type AwsSigV4Settings = {
  readonly service: string;
  readonly defaultRegion?: string;
} & (
  | { readonly stsMode: 'builtin'; readonly accessKeyId: string; readonly secretAccessKey: string }
  | { readonly stsMode: 'custom'; readonly url: string; readonly headers: Readonly<Record<string, string>>; readonly secrets: readonly string[] }
);

/** What one AssumeRole needs. */
export interface AssumeRoleInput {
  readonly roleArn: string;
  readonly externalId: string;
  readonly region: string;
}

/** Credentials of an assumed role. */
export interface TemporaryCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiresAt: Date;
  readonly raw: Record<string, unknown>;
}

/** Regions are lower-case letters, digits and dashes (`us-east-1`, `us-gov-west-1`): nothing that could change the STS host. */
export const AWS_REGION = /^[a-z]{2}(-[a-z0-9]+)+$/;
// AssumeRole's limits: 1 hour unless the role allows more; our default asks for the hour.
const ROLE_SESSION_SECONDS = 3600;
const ONE_HOUR_MS = 3_600_000;

/** The settings on the integration; throws `invalid_aws_sigv4_config` naming what is missing. */
export function awsSigV4SettingsOf(client: IntegrationClient): AwsSigV4Settings {
  const custom = client.custom;
  const service = custom['service'];
  if (!service || !/^[a-z0-9-]+$/.test(service)) throw misconfigured('service must be set (e.g. s3, execute-api)');
  const defaultRegion = custom['defaultRegion'] || undefined;
  const base = { service, ...(defaultRegion === undefined ? {} : { defaultRegion }) };
  if ((custom['stsMode'] ?? 'builtin') === 'builtin') {
    const accessKeyId = custom['awsAccessKeyId'];
    const secretAccessKey = custom['awsSecretAccessKey'];
    if (!accessKeyId || !secretAccessKey) throw misconfigured('awsAccessKeyId and awsSecretAccessKey must be set for the builtin STS mode');
    return { ...base, stsMode: 'builtin', accessKeyId, secretAccessKey };
  }
  const url = custom['stsEndpointUrl'];
  if (!url || !URL.canParse(url)) throw misconfigured('stsEndpointUrl must be set for the custom STS mode');
  return { ...base, stsMode: 'custom', url, ...customAuth(custom) };
}

/** AssumeRole through the integration's STS; a refusal (4xx) is a permanent `credentials_rejected`. */
export async function assumeRole(settings: AwsSigV4Settings, input: AssumeRoleInput, provider: string, call: CallContext): Promise<TemporaryCredentials> {
  if (!AWS_REGION.test(input.region)) throw new ValidationError('invalid_aws_sigv4_config', 'The AWS region must look like us-east-1');
  const answer = settings.stsMode === 'builtin' ? await builtinAssumeRole(settings, input, provider, call) : await customAssumeRole(settings, input, provider, call);
  if (!answer.ok) throw answer.refused('credentials_rejected', ' (the role could not be assumed)');
  const parsed = settings.stsMode === 'builtin' ? fromAssumeRoleXml(answer.body) : fromCustomJson(answer.body, call.now);
  if (!parsed) throw answer.unusable('provider_malformed_response', ' without temporary credentials');
  return parsed;
}

async function builtinAssumeRole(settings: Extract<AwsSigV4Settings, { stsMode: 'builtin' }>, input: AssumeRoleInput, provider: string, call: CallContext): Promise<ProviderAnswer> {
  const url = new URL(`https://sts.${input.region}.amazonaws.com/`);
  const body = new URLSearchParams({
    Action: 'AssumeRole',
    RoleArn: input.roleArn,
    ExternalId: input.externalId,
    RoleSessionName: `custodian-${randomBytes(8).toString('hex')}`,
    DurationSeconds: String(ROLE_SESSION_SECONDS),
    Version: '2011-06-15',
  }).toString();
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  const signed = signSigV4({ method: 'POST', url, headers, body, credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey }, region: input.region, service: 'sts', now: call.now });
  return callProvider({ provider, endpoint: 'STS endpoint', url: url.toString(), method: 'POST', headers: { ...headers, ...signed }, body, redirect: 'manual', timeoutMs: call.timeoutMs, secrets: [settings.secretAccessKey], now: call.now, fetch: call.fetch });
}

async function customAssumeRole(settings: Extract<AwsSigV4Settings, { stsMode: 'custom' }>, input: AssumeRoleInput, provider: string, call: CallContext): Promise<ProviderAnswer> {
  const body = JSON.stringify({ role_arn: input.roleArn, external_id: input.externalId, region: input.region, service: settings.service });
  return callProvider({
    provider,
    endpoint: 'STS endpoint',
    url: settings.url,
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...settings.headers },
    body,
    redirect: 'manual',
    timeoutMs: call.timeoutMs,
    secrets: settings.secrets,
    now: call.now,
    fetch: call.fetch,
    // The operator wrote this URL, not an end user: it may be an internal service.
  });
}

function customAuth(custom: Readonly<Record<string, string>>): { headers: Record<string, string>; secrets: string[] } {
  switch (custom['stsAuthType'] ?? 'none') {
    case 'api_key': {
      const key = custom['stsApiKey'];
      if (!key) throw misconfigured('stsApiKey must be set when stsAuthType is api_key');
      return { headers: { [(custom['stsAuthHeader'] || 'x-api-key').toLowerCase()]: key }, secrets: [key] };
    }
    case 'basic': {
      const password = custom['stsAuthPassword'];
      if (!password) throw misconfigured('stsAuthPassword must be set when stsAuthType is basic');
      const encoded = Buffer.from(`${custom['stsAuthUsername'] ?? ''}:${password}`).toString('base64');
      return { headers: { authorization: `Basic ${encoded}` }, secrets: [password, encoded] };
    }
    default:
      return { headers: {}, secrets: [] };
  }
}

/** AssumeRole's XML answer (`<AssumeRoleResult><Credentials>…`). */
export function fromAssumeRoleXml(xml: string): TemporaryCredentials | undefined {
  const tag = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
  const accessKeyId = tag('AccessKeyId');
  const secretAccessKey = tag('SecretAccessKey');
  const sessionToken = tag('SessionToken');
  const expiration = tag('Expiration');
  if (!accessKeyId || !secretAccessKey || !sessionToken || !expiration || Number.isNaN(Date.parse(expiration))) return undefined;
  return { accessKeyId, secretAccessKey, sessionToken, expiresAt: new Date(expiration), raw: { Expiration: expiration, AccessKeyId: accessKeyId } };
}

/** A custom STS endpoint's answer: `{ accessKeyId, secretAccessKey, sessionToken, expiresAt? }`, snake_case or under `credentials` too. */
function fromCustomJson(text: string, now: Date): TemporaryCredentials | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof data !== 'object' || data === null) return undefined;
  const payload = ('credentials' in data ? (data as { credentials: unknown }).credentials : data) as Record<string, unknown>;
  const pick = (...names: string[]) => names.map((name) => payload[name]).find((value): value is string => typeof value === 'string' && value !== '');
  const accessKeyId = pick('accessKeyId', 'access_key_id');
  const secretAccessKey = pick('secretAccessKey', 'secret_access_key');
  const sessionToken = pick('sessionToken', 'session_token');
  if (!accessKeyId || !secretAccessKey || !sessionToken) return undefined;
  const rawExpiry = payload['expiresAt'] ?? payload['expires_at'] ?? payload['expiration'];
  // Custom endpoints vary: seconds, milliseconds (anything past 1e12) or an ISO date; none means STS's default hour.
  const expiresAt = typeof rawExpiry === 'number' ? new Date(rawExpiry < 1e12 ? rawExpiry * 1000 : rawExpiry) : typeof rawExpiry === 'string' ? new Date(rawExpiry) : new Date(now.getTime() + ONE_HOUR_MS);
  if (Number.isNaN(expiresAt.getTime())) return undefined;
  return { accessKeyId, secretAccessKey, sessionToken, expiresAt, raw: { accessKeyId, expiresAt: expiresAt.toISOString() } };
}

function misconfigured(detail: string): ValidationError {
  return new ValidationError('invalid_aws_sigv4_config', `The integration's AWS SigV4 settings are incomplete: ${detail}`);
}
