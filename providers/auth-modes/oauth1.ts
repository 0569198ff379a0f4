/** OAuth 1.0a three-legged flow (RFC 5849 §2.2: redirecting the resource owner). */
import { CustodianError } from '../../src/errors';
import { interpolateUrl } from '../interpolate';
import type { OAuth1AuthorizationInput, OAuth1Strategy } from './auth-mode';
import { mergeAuthorizationParams } from './authorization-params';
import { appendQuery } from './query-string';

// Trello, the main OAuth 1.0a provider taking scopes, separates them with commas.
const DEFAULT_SCOPE_SEPARATOR = ',';

/** The OAUTH1 strategy. */
export const oauth1: OAuth1Strategy = {
  authMode: 'OAUTH1',
  buildAuthorizationUrl,
};

function buildAuthorizationUrl(input: OAuth1AuthorizationInput): string {
  const { entry } = input;
  if (entry.authorization_url === undefined) throw new CustodianError('missing_authorization_url', 'The provider has no authorization_url');
  const params = new Map<string, string>([['oauth_token', input.requestToken]]);
  if (input.scopes !== undefined && input.scopes.length > 0) params.set('scope', input.scopes.join(entry.scope_separator ?? DEFAULT_SCOPE_SEPARATOR));
  mergeAuthorizationParams(params, input);
  return appendQuery(interpolateUrl(entry.authorization_url, input), params);
}
