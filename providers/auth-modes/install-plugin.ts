/**
 * INSTALL_PLUGIN (Crisp's plugin install): the browser goes to the integration's install link with the
 * attempt id as `payload`; the provider sends it back to our callback with the same `payload` and the
 * installation's ids (`redirect_uri_metadata`, e.g. Crisp's `website_id`). The connection then holds the
 * plugin's own credentials, kept on the integration, in the entry's `auth_type` (BASIC: Nango's shape
 * `{ type: "BASIC", username, password }`), checked against the verification endpoint once at install.
 * From then on they are BASIC credentials, kept valid and sent by the BASIC strategy.
 */
import { z } from 'zod';
import { ValidationError } from '../../src/errors';
import type { BasicCredentials } from '../credentials';
import type { AuthModeStrategy } from './auth-mode';
import { AuthorizationError } from './authorization-error';
import { basic } from './basic';
import { redirectUriMetadata } from './oauth2';

// The integration's settings (Nango's integration config): the install link, and the plugin's identifier and key.
const APP_LINK = 'app_link';
const USERNAME = 'username';
const PASSWORD = 'password';

/** The integration's credentials (`POST /integrations`): Nango's install-plugin settings, snake_case as our other integration credentials are. */
const integrationSchema = z.strictObject({
  type: z.literal('INSTALL_PLUGIN'),
  app_link: z.url({ protocol: /^https?$/ }),
  username: z.string().min(1).max(255),
  password: z.string().min(1).max(4096),
});

/** Never a `POST /connections` shape: these connections exist only by an installation (Nango imports none either). */
const importSchema = z
  .strictObject({ type: z.literal('INSTALL_PLUGIN') })
  .refine(() => false, 'INSTALL_PLUGIN connections are made by installing the plugin; they cannot be imported');

/** The INSTALL_PLUGIN strategy. */
export const installPlugin: AuthModeStrategy<BasicCredentials> = {
  authMode: 'INSTALL_PLUGIN',
  connect: { kind: 'redirect', stateParameter: 'payload' },
  completing: 'checking the plugin credentials',
  refusedAs: 'connection_test_failed',
  integrationCredentials: {
    schema: integrationSchema,
    toSettings: (credentials) => {
      const { app_link: appLink, username, password } = integrationSchema.parse(credentials);
      return { clientId: null, clientSecret: null, custom: { [APP_LINK]: appLink, [USERNAME]: username }, customSecrets: { [PASSWORD]: password } };
    },
    present: (client) => ({ type: 'INSTALL_PLUGIN', app_link: client.custom[APP_LINK] ?? null, username: client.custom[USERNAME] ?? null, password: null }),
  },

  async begin(input) {
    const link = input.client.custom[APP_LINK];
    if (!link || !URL.canParse(link) || !/^https?:$/.test(new URL(link).protocol)) {
      throw new AuthorizationError('integration_missing_client', 'The integration has no plugin install link (app_link)');
    }
    const url = new URL(link);
    url.searchParams.set('payload', input.state);
    return { url: url.toString(), attemptSecrets: {} };
  },

  async complete(input, call) {
    const username = input.client.custom[USERNAME];
    const password = input.client.custom[PASSWORD];
    if (!username || !password) throw new AuthorizationError('integration_missing_client', 'The integration has no plugin identifier and key (username, password)');
    const connectionConfig = { ...input.connectionConfig, ...redirectUriMetadata(input.entry, input.received) };
    const credentials: BasicCredentials = { type: 'BASIC', username, password };
    // The plugin's credentials are checked for this installation (Crisp answers for the website it was installed on).
    await basic.renew({ entry: input.entry, credentials, connectionConfig, client: input.client }, call);
    return { credentials, expiresAt: null, connectionConfig: redirectUriMetadata(input.entry, input.received) };
  },

  importSchema,
  fromImport() {
    throw new ValidationError('invalid_body', 'INSTALL_PLUGIN connections are made by installing the plugin; they cannot be imported');
  },
  checksImports: false,

  upkeep: (entry, credentials) => basic.upkeep(entry, credentials),
  renew: (input, call) => basic.renew(input, call),
  expiresAt: () => null,
  authorize: (request, input) => basic.authorize(request, input),
  secretsOf: (credentials) => basic.secretsOf(credentials),
};
