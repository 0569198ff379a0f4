/**
 * What the API answers, as zod schemas for the OpenAPI document (the presenters build these shapes;
 * the OpenAPI test checks real answers against them). Objects are strict where a presenter names
 * every field, loose where the content is the caller's or the catalog's (metadata, credentials, entries).
 */
import { z } from 'zod';
import { AUTH_MODES } from '../../../providers/catalog-schema';

const timestamp = z.iso.datetime({ offset: true });
const nullableTimestamp = timestamp.nullable();

export const successBody = z.strictObject({ success: z.literal(true) });

const integration = z.strictObject({
  unique_key: z.string(),
  provider: z.string(),
  display_name: z.string(),
  logo: z.url(),
  forward_webhooks: z.boolean(),
  auth_mode: z.string().nullable().describe(`The provider's auth mode (${AUTH_MODES.join(', ')}, …); null when the provider left the catalog`),
  created_at: timestamp,
  updated_at: timestamp,
  credentials: z.strictObject({
    type: z.string().nullable(),
    client_id: z.string().nullable(),
    client_secret: z.string().nullable(),
    scopes: z.string().describe('Comma-separated'),
  }).optional().describe('With `include=credentials`'),
  webhook_url: z.null().optional().describe('With `include=webhook` (provider webhooks are not received: always null)'),
});
export const integrationBody = z.strictObject({ data: integration });
export const integrationListBody = z.strictObject({ data: z.array(integration) });

const provider = z.looseObject({
  name: z.string(),
  display_name: z.string(),
  auth_mode: z.string(),
  logo_url: z.url(),
}).describe('The catalog entry (Nango providers.yaml keys) with its name and logo');
export const providerBody = z.strictObject({ data: provider });
export const providerListBody = z.strictObject({ data: z.array(provider) });

const organization = z.strictObject({ id: z.string(), display_name: z.string().nullable().optional() });
const endUser = z.looseObject({
  id: z.string(),
  email: z.string().nullable().optional(),
  display_name: z.string().nullable().optional(),
  tags: z.record(z.string(), z.string()).nullable().optional(),
  organization: organization.nullable().optional(),
});
const tags = z.record(z.string(), z.string());
const metadata = z.record(z.string(), z.unknown()).nullable();
const connectionErrors = z.array(z.strictObject({ type: z.literal('auth'), log_id: z.string().nullable() }));

const connectionListItem = z.strictObject({
  id: z.string(),
  connection_id: z.string(),
  provider_config_key: z.string(),
  provider: z.string(),
  errors: connectionErrors,
  end_user: endUser.nullable(),
  tags,
  metadata,
  created: timestamp,
});
export const connectionListBody = z.strictObject({ connections: z.array(connectionListItem) });

export const connectionBody = z.strictObject({
  id: z.string(),
  connection_id: z.string(),
  provider_config_key: z.string(),
  provider: z.string(),
  errors: connectionErrors,
  end_user: endUser.nullable(),
  tags,
  metadata,
  connection_config: z.record(z.string(), z.unknown()),
  webhook_url_override: z.string().nullable(),
  created_at: timestamp,
  updated_at: timestamp,
  last_fetched_at: nullableTimestamp,
  credentials: z.looseObject({ type: z.string().optional() }).describe('One shape per auth mode (`access_token`, `expires_at`, `raw`… for OAUTH2); refresh tokens only with `refresh_token=true`'),
  status: z.string(),
  credentials_expires_at: nullableTimestamp,
  last_refresh_success: nullableTimestamp,
  last_refresh_failure: nullableTimestamp,
});

export const connectionLogsBody = z.strictObject({
  data: z.array(z.strictObject({
    id: z.string(),
    type: z.string(),
    level: z.string(),
    message: z.string(),
    context: z.record(z.string(), z.unknown()).nullable(),
    created_at: timestamp,
  })),
  next_cursor: z.string().nullable(),
});

export const metadataWriteBody = z.looseObject({
  connection_id: z.union([z.string(), z.array(z.string())]),
  provider_config_key: z.string(),
  metadata: z.record(z.string(), z.unknown()),
});

export const legacyImportAnswer = z.looseObject({ connection_id: z.string() }).describe('The request body, with the connection id chosen');

export const createdSessionBody = z.strictObject({
  data: z.strictObject({ token: z.string(), connect_link: z.url(), expires_at: timestamp }),
});

export const connectSessionBody = z.strictObject({
  data: z.looseObject({
    endUser: endUser.nullable(),
    connectUISettings: z.record(z.string(), z.unknown()),
    allowed_integrations: z.array(z.string()).optional(),
    integrations_config_defaults: z.record(z.string(), z.unknown()).optional(),
    isReconnecting: z.literal(true).optional(),
    websocketsPath: z.string(),
  }),
});

const environment = z.strictObject({
  name: z.string(),
  webhook: z.strictObject({
    primary_url: z.string().nullable(),
    secondary_url: z.string().nullable(),
    on_auth_creation: z.boolean(),
    on_auth_refresh_error: z.boolean(),
    on_auth_refresh_recovered: z.boolean(),
    on_connection_deleted: z.boolean(),
  }),
  callback_url: z.string().nullable(),
  connect_ui: z.strictObject({ theme: z.string(), primary_color: z.string().nullable(), logo_url: z.string().nullable() }),
  created_at: timestamp,
  updated_at: timestamp,
});
export const environmentBody = z.strictObject({ data: environment });
export const webhookSigningKeyBody = z.strictObject({ data: z.strictObject({ webhook_signing_key: z.string() }) });
export const rotatedSecretKeyBody = z.strictObject({ data: z.strictObject({ secret_key: z.string(), previous_secret_key_expires_at: timestamp }) });

export const healthBody = z.strictObject({ result: z.literal('ok') });
export const readyBody = z.strictObject({ status: z.literal('ready'), checks: z.strictObject({ database: z.literal('ok'), temporal: z.literal('ok') }) });

/** A direct (form) flow's answer: the connection it made (Nango's `auth()` result). */
export const directFlowBody = z.strictObject({ connectionId: z.string(), providerConfigKey: z.string() });

/** The OpenAPI document itself. */
export const openApiBody = z.looseObject({ openapi: z.string(), paths: z.record(z.string(), z.unknown()) });
