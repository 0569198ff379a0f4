/** OAuth 2.0 authorization code flow (RFC 6749 §4.1) with PKCE S256 (RFC 7636). */
import { CustodianError } from '../../src/errors';
import type { ProviderEntry } from '../catalog-schema';
import { interpolateUrl } from '../interpolate';
import type { OAuth2AuthorizationInput, OAuth2Strategy } from './auth-mode';
import { mergeAuthorizationParams } from './authorization-params';
import { appendQuery } from './query-string';

const DEFAULT_SCOPE_SEPARATOR = ' ';

/** The OAUTH2 strategy. */
export const oauth2: OAuth2Strategy = {
  authMode: 'OAUTH2',
  requiresPkce,
  buildAuthorizationUrl,
};

function requiresPkce(entry: ProviderEntry): boolean {
  return entry.disable_pkce !== true;
}

function buildAuthorizationUrl(input: OAuth2AuthorizationInput): string {
  const { entry } = input;
  if (entry.authorization_url === undefined) throw new CustodianError('missing_authorization_url', 'The provider has no authorization_url');
  const separator = entry.scope_separator ?? DEFAULT_SCOPE_SEPARATOR;
  const params = new Map<string, string>([
    ['response_type', 'code'],
    ['client_id', input.clientId],
    ['redirect_uri', input.redirectUri],
  ]);
  if (input.scopes.length > 0) params.set('scope', input.scopes.join(separator));
  params.set('state', input.state);
  mergeAuthorizationParams(params, input);
  if (input.userScope !== undefined && input.userScope.length > 0) params.set('user_scope', input.userScope.join(separator));
  if (requiresPkce(entry)) {
    if (input.codeChallenge === undefined) throw new CustodianError('missing_code_challenge', 'PKCE is required for this provider but no code challenge was given');
    params.set('code_challenge', input.codeChallenge);
    params.set('code_challenge_method', 'S256');
  }
  return appendQuery(interpolateUrl(entry.authorization_url, input), params);
}
