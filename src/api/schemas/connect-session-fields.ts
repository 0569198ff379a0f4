/** Body schemas of `POST /connect/sessions` and `POST /connect/sessions/reconnect` (API.md §1). */
import { z } from 'zod';
import { connectionIdField, endUserField, providerConfigKey, tagsField, webhookUrlOverrideField } from './connection-fields';

/** Legacy top-level organization; Nango accepts an empty id (it then yields no `organization_id` tag). */
const organizationField = z.strictObject({
  id: z.string().max(255),
  display_name: z.string().max(255).optional(),
});

/** Per-integration defaults the Connect UI starts from; `connection_config` may carry any provider field. */
const integrationConfigDefault = z.strictObject({
  user_scopes: z.string().max(4096).optional(),
  authorization_params: z.record(z.string(), z.string()).optional(),
  connection_config: z.looseObject({ oauth_scopes_override: z.string().max(4096).optional() }).optional(),
});

/** Fields both session bodies share (all optional). */
const sharedFields = {
  end_user: endUserField.optional(),
  organization: organizationField.optional(),
  integrations_config_defaults: z.record(providerConfigKey, integrationConfigDefault).optional(),
  // The SDK's types allow Nango's `overrides` (per-integration docs link); accepted for compatibility, not stored.
  overrides: z.record(providerConfigKey, z.object({ docs_connect: z.string().max(2048).optional() })).optional(),
  webhook_url_override: webhookUrlOverrideField.optional(),
  tags: tagsField.optional(),
};

/** `POST /connect/sessions`: `end_user` is required unless top-level `tags` are given. */
export const createSessionBody = z
  .strictObject({ ...sharedFields, allowed_integrations: z.array(providerConfigKey).max(1000).optional() })
  .superRefine((body, ctx) => {
    if (body.end_user === undefined && body.tags === undefined) {
      ctx.addIssue({ code: 'custom', path: ['end_user'], message: 'end_user is required unless tags are given' });
    }
  });

/** `POST /connect/sessions/reconnect`: the allowed integration is implied by `integration_id`, so `allowed_integrations` is refused (as Nango does). */
export const reconnectSessionBody = z.strictObject({
  ...sharedFields,
  connection_id: connectionIdField,
  integration_id: providerConfigKey,
});

export type CreateSessionBody = z.output<typeof createSessionBody>;
export type ReconnectSessionBody = z.output<typeof reconnectSessionBody>;
export type IntegrationConfigDefaults = NonNullable<CreateSessionBody['integrations_config_defaults']>;
