/** `/environment`: the caller's environment settings (API.md §6). */
import Router from '@koa/router';
import { z } from 'zod';
import { parseDuration } from '../../config';
import {
  DEFAULT_SECRET_KEY_OVERLAP_MS, MAX_SECRET_KEY_OVERLAP_MS, MIN_SECRET_KEY_OVERLAP_MS, type EnvironmentSettings,
} from '../../environments/environment-store';
import { bearerToken } from '../auth/bearer-token';
import { isPrivateHostname } from '../../../providers/net/private-address';
import { requireSecretKey } from '../auth/authenticate';
import type { ApiDeps, ApiState } from '../context';
import { presentEnvironment } from '../presenters/environment';
import { validate } from '../validation';
import { doc } from '../openapi/route-doc';
import { environmentBody, rotatedSecretKeyBody, webhookSigningKeyBody } from '../schemas/responses';
import { bodyOrEmpty } from '../middleware/json-body';

/** An http(s) URL, or "" / null to clear. */
const optionalUrl = z.union([z.literal(''), z.null(), z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' })]).optional();

/** The URL's host name, or null when it does not parse (the URL schema reports that itself). */
function hostnameOf(url: string): string | null {
  try {
    return new URL(url).hostname;
  } catch {
    return null;
  }
}

function patchBody(allowPrivateTargets: boolean) {
  // Zod runs this refinement even after the URL check failed: it must not throw on what is not a URL.
  const webhookUrl = optionalUrl.refine(
    (url) => allowPrivateTargets || !url || hostnameOf(url) === null || !isPrivateHostname(hostnameOf(url)!),
    'must not target a loopback or private address (ALLOW_PRIVATE_NETWORK_TARGETS is off)',
  );
  return z.strictObject({
    webhook: z.strictObject({
      primary_url: webhookUrl,
      secondary_url: webhookUrl,
      on_auth_creation: z.boolean().optional(),
      on_auth_refresh_error: z.boolean().optional(),
      on_auth_refresh_recovered: z.boolean().optional(),
      on_connection_deleted: z.boolean().optional(),
    }).optional(),
    callback_url: optionalUrl,
    connect_ui: z.strictObject({
      theme: z.enum(['light', 'dark', 'system']).optional(),
      primary_color: z.union([z.null(), z.string().regex(/^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$/, 'must be a hex colour like #1a73e8')]).optional(),
      logo_url: optionalUrl,
    }).optional(),
  });
}

/** `{ overlap?: "24h" }`: how long the replaced secret key keeps working, in milliseconds. */
const rotateSecretKeyBody = z.strictObject({
  overlap: z.string().optional().transform((text, ctx) => {
    if (text === undefined) return DEFAULT_SECRET_KEY_OVERLAP_MS;
    const ms = parseDuration(text);
    if (ms === undefined || ms < MIN_SECRET_KEY_OVERLAP_MS || ms > MAX_SECRET_KEY_OVERLAP_MS) {
      ctx.addIssue({ code: 'custom', message: `must be a duration from ${MIN_SECRET_KEY_OVERLAP_MS / 1000}s to ${MAX_SECRET_KEY_OVERLAP_MS / 86_400_000}d, like 24h` });
      return z.NEVER;
    }
    return ms;
  }),
});

/** "" and null both clear a URL; undefined leaves it alone. */
function urlSetting(value: string | null | undefined): string | null | undefined {
  return value === '' ? null : value;
}

/** The environment routes. */
export function environmentRouter(deps: ApiDeps): Router<ApiState> {
  const router = new Router<ApiState>();
  const schema = patchBody(deps.config.allowPrivateNetworkTargets);

  router.get('/environment', doc({ summary: 'The environment\'s settings (webhooks, callback URL, Connect UI)', responses: { 200: { description: 'Its settings', schema: environmentBody } } }), requireSecretKey(deps), (ctx) => {
    ctx.body = { data: presentEnvironment(ctx.state.caller.environment) };
  });

  router.patch('/environment', doc({
    summary: 'Change the environment\'s settings (a field left out stays; "" or null clears a URL)',
    body: schema,
    bodyOptional: true,
    responses: { 200: { description: 'The settings after the change', schema: environmentBody } },
  }), requireSecretKey(deps), async (ctx) => {
    const body = validate(schema, bodyOrEmpty(ctx.request), 'invalid_body');
    const settings: EnvironmentSettings = {
      webhookPrimaryUrl: urlSetting(body.webhook?.primary_url),
      webhookSecondaryUrl: urlSetting(body.webhook?.secondary_url),
      onAuthCreation: body.webhook?.on_auth_creation,
      onAuthRefreshError: body.webhook?.on_auth_refresh_error,
      onAuthRefreshRecovered: body.webhook?.on_auth_refresh_recovered,
      onConnectionDeleted: body.webhook?.on_connection_deleted,
      callbackUrl: urlSetting(body.callback_url),
      connectUiTheme: body.connect_ui?.theme,
      connectUiPrimaryColor: body.connect_ui?.primary_color,
      connectUiLogoUrl: urlSetting(body.connect_ui?.logo_url),
    };
    const defined = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) as EnvironmentSettings;
    const updated = Object.keys(defined).length > 0 ? await deps.environments.update(ctx.state.caller.environment, defined) : ctx.state.caller.environment;
    ctx.body = { data: presentEnvironment(updated) };
  });

  router.post('/environment/webhook-signing-key/rotate', doc({
    summary: 'Replace the webhook signing key (the old one stops signing at once)',
    responses: { 200: { description: 'The new key', schema: webhookSigningKeyBody } },
  }), requireSecretKey(deps), async (ctx) => {
    const key = await deps.environments.rotateWebhookSigningKey(ctx.state.caller.environment);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { data: { webhook_signing_key: key } };
  });

  router.post('/environment/secret-key/rotate', doc({
    summary: 'Replace the secret key; the old one keeps working for `overlap` (default 24h)',
    body: rotateSecretKeyBody,
    bodyOptional: true,
    responses: { 200: { description: 'The new key and when the old one stops working', schema: rotatedSecretKeyBody } },
    errors: ['secret_key_superseded'],
  }), requireSecretKey(deps), async (ctx) => {
    const { overlap } = validate(rotateSecretKeyBody, bodyOrEmpty(ctx.request), 'invalid_body');
    const presented = bearerToken(ctx.get('authorization')) as string;
    const rotated = await deps.environments.rotateSecretKey(ctx.state.caller.environment.id, presented, overlap);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { data: { secret_key: rotated.secretKey, previous_secret_key_expires_at: rotated.previousExpiresAt.toISOString() } };
  });

  return router;
}
