/**
 * The integration credentials of an AWS_SIGV4 integration (`POST /integrations`), by the names of
 * Nango's `integration_config` for it: the service requests are signed for, a default region, and how
 * roles are assumed (`builtin`: the integration's own access key calls AWS STS; `custom`: the operator's
 * STS endpoint and how to authenticate to it). Secrets are stored encrypted and never shown again.
 */
import { z } from 'zod';
import type { IntegrationClient, IntegrationCredentialsShape } from './auth-mode';
import { AWS_REGION } from './aws-sts';

const NOT_SECRET = ['service', 'defaultRegion', 'stsMode', 'stsEndpointUrl', 'stsAuthType', 'stsAuthHeader', 'stsAuthUsername'] as const;
const SECRET = ['awsAccessKeyId', 'awsSecretAccessKey', 'stsApiKey', 'stsAuthPassword'] as const;

const text = z.string().min(1).max(2048);
const schema = z
  .strictObject({
    type: z.literal('AWS_SIGV4'),
    service: z.string().regex(/^[a-z0-9-]+$/, 'must be an AWS service name such as s3'),
    defaultRegion: z.string().regex(AWS_REGION, 'must be an AWS region such as us-east-1').optional(),
    stsMode: z.enum(['builtin', 'custom']).default('builtin'),
    awsAccessKeyId: text.optional(),
    awsSecretAccessKey: text.optional(),
    stsEndpointUrl: z.url({ protocol: /^https?$/ }).optional(),
    stsAuthType: z.enum(['none', 'api_key', 'basic']).optional(),
    stsAuthHeader: z.string().regex(/^[A-Za-z0-9-]+$/).optional(),
    stsApiKey: text.optional(),
    stsAuthUsername: text.optional(),
    stsAuthPassword: text.optional(),
  })
  .superRefine((value, ctx) => {
    if (value.stsMode === 'builtin' && (!value.awsAccessKeyId || !value.awsSecretAccessKey)) {
      ctx.addIssue({ code: 'custom', path: ['awsAccessKeyId'], message: 'awsAccessKeyId and awsSecretAccessKey are required when stsMode is builtin' });
    }
    if (value.stsMode === 'custom' && !value.stsEndpointUrl) ctx.addIssue({ code: 'custom', path: ['stsEndpointUrl'], message: 'is required when stsMode is custom' });
    if (value.stsAuthType === 'api_key' && !value.stsApiKey) ctx.addIssue({ code: 'custom', path: ['stsApiKey'], message: 'is required when stsAuthType is api_key' });
    if (value.stsAuthType === 'basic' && !value.stsAuthPassword) ctx.addIssue({ code: 'custom', path: ['stsAuthPassword'], message: 'is required when stsAuthType is basic' });
  });

/** AWS_SIGV4's integration credentials shape. */
export const awsSigV4IntegrationCredentials: IntegrationCredentialsShape = {
  schema,
  toSettings(credentials) {
    const given = credentials as Record<string, unknown>;
    return { clientId: null, clientSecret: null, custom: pick(given, NOT_SECRET), customSecrets: pick(given, SECRET) };
  },
  present: (client: IntegrationClient) => ({
    type: 'AWS_SIGV4',
    ...Object.fromEntries(NOT_SECRET.map((name) => [name, client.custom[name] ?? null])),
    ...Object.fromEntries(SECRET.map((name) => [name, null])),
  }),
};

function pick(values: Readonly<Record<string, unknown>>, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.flatMap((name) => (typeof values[name] === 'string' && values[name] !== '' ? [[name, values[name]]] : [])));
}
