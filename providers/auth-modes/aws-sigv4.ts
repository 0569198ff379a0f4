/**
 * AWS_SIGV4: the end user names an IAM role of theirs that trusts the integration (with an external id);
 * Custodian assumes it through the integration's STS settings, keeps the temporary credentials, assumes
 * it again before they expire (upkeep `mint`), and signs each outgoing request with them (SigV4, for
 * the integration's service and the connection's region).
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ConnectionConfigError } from '../../src/errors';
import type { AwsSigV4Credentials } from '../credentials';
import type { AuthModeStrategy, CallContext, ConnectionConfig, IntegrationClient, Obtained } from './auth-mode';
import { awsSigV4IntegrationCredentials } from './aws-sigv4-settings';
import { signSigV4 } from './aws-sigv4-signing';
import { assumeRole, AWS_REGION, awsSigV4SettingsOf } from './aws-sts';
import { dateOf, expiryField, rawField, secretStrings } from './import-fields';
import { withHeaders, withProxyHeaders } from './outgoing-request';

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
// IAM's rule for an external id: 2 to 1224 characters of these.
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;

/** What `POST /auth/aws-sigv4/:key` receives (Nango's body). */
const formBody = z.object({
  type: z.literal('AWS_SIGV4').optional(),
  role_arn: z.string().regex(ROLE_ARN, 'must be an IAM role ARN'),
  region: z.string().regex(AWS_REGION, 'must be an AWS region such as us-east-1').optional().meta({ title: 'AWS Region', description: 'The region of the role\'s resources, when it differs from the integration\'s default region.', example: 'us-east-1' }),
});

/** A `POST /connections` import: Nango's AWS_SIGV4 credentials (temporary credentials already obtained). */
const importSchema = z.strictObject({
  type: z.literal('AWS_SIGV4'),
  role_arn: z.string(),
  region: z.string().regex(AWS_REGION, 'must be an AWS region such as us-east-1'),
  service: z.string().regex(/^[a-z0-9-]+$/, 'must be an AWS service name such as s3'),
  access_key_id: z.string().min(1),
  secret_access_key: z.string().min(1),
  session_token: z.string().min(1),
  expires_at: expiryField.optional(),
  external_id: z.string().regex(EXTERNAL_ID).optional(),
  raw: rawField,
});

/** The AWS_SIGV4 strategy. */
export const awsSigV4: AuthModeStrategy<AwsSigV4Credentials> = {
  authMode: 'AWS_SIGV4',
  connect: { kind: 'form', routes: ['/auth/aws-sigv4/:key'], body: formBody },
  completing: 'assuming the role',
  refusedAs: 'connection_test_failed',
  integrationCredentials: awsSigV4IntegrationCredentials,

  async complete(input, call) {
    const body = formBody.parse(input.received);
    const settings = awsSigV4SettingsOf(input.client);
    const region = body.region ?? textOf(input.connectionConfig['region']) ?? settings.defaultRegion;
    if (region === undefined) throw new ConnectionConfigError('missing_connection_config', 'Missing value for connectionConfig.region (no region given and the integration has no default)', ['connection_config', 'region']);
    const given = textOf(input.connectionConfig['external_id']);
    const externalId = given !== undefined && EXTERNAL_ID.test(given) ? given : randomUUID();
    return await obtain({ roleArn: body.role_arn, region, externalId }, input.entry.display_name, input.client, call);
  },

  importSchema,
  fromImport(body) {
    const { type: _type, raw, ...fields } = importSchema.parse(body);
    return { type: 'AWS_SIGV4', ...fields, raw: raw ?? {} };
  },
  checksImports: false,

  // Imported static credentials (no role) cannot be obtained again: they are used until they stop working.
  upkeep: (_entry, credentials) => (credentials.role_arn !== '' && credentials.expires_at !== undefined ? { kind: 'mint', beforeExpiry: true } : { kind: 'none', beforeExpiry: true }),

  async renew(input, call) {
    const { role_arn: roleArn, region, external_id: externalId } = input.credentials;
    const obtained = await obtain({ roleArn, region, externalId: externalId ?? randomUUID() }, input.entry.display_name, input.client, call);
    return { kind: 'renewed', ...obtained };
  },

  expiresAt: (credentials) => dateOf(credentials.expires_at),

  authorize(request, { entry, credentials, connectionConfig, now }) {
    const withEntry = withProxyHeaders(request, entry, { credentials: { ...credentials }, connectionConfig });
    // Signed last, over every header the request will carry (a caller's x-amz-target included).
    const signed = signSigV4({
      method: withEntry.method,
      url: withEntry.url,
      headers: withEntry.headers,
      body: withEntry.body,
      credentials: { accessKeyId: credentials.access_key_id, secretAccessKey: credentials.secret_access_key, sessionToken: credentials.session_token },
      region: credentials.region,
      service: credentials.service,
      now,
    });
    return withHeaders(withEntry, signed);
  },

  secretsOf: (credentials) => secretStrings(credentials.secret_access_key, credentials.session_token),
};

async function obtain(input: { roleArn: string; region: string; externalId: string }, provider: string, client: IntegrationClient, call: CallContext): Promise<Obtained<AwsSigV4Credentials>> {
  const settings = awsSigV4SettingsOf(client);
  const temporary = await assumeRole(settings, input, provider, call);
  const credentials: AwsSigV4Credentials = {
    type: 'AWS_SIGV4',
    role_arn: input.roleArn,
    region: input.region,
    service: settings.service,
    access_key_id: temporary.accessKeyId,
    secret_access_key: temporary.secretAccessKey,
    session_token: temporary.sessionToken,
    expires_at: temporary.expiresAt.toISOString(),
    external_id: input.externalId,
    raw: temporary.raw,
  };
  // The proxy's base URL reads service and region; the external id is what the role's trust policy names.
  const connectionConfig: Record<string, unknown> = { region: input.region, service: settings.service, external_id: input.externalId };
  return { credentials, expiresAt: temporary.expiresAt, connectionConfig };
}

function textOf(value: ConnectionConfig[string]): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
