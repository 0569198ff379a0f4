/** Picks the auth-mode strategy for a catalog entry's `auth_mode`. */
import type { AuthMode } from '../catalog-schema';
import { apiKey } from './api-key';
import type { AuthModeStrategies } from './auth-mode';
import { basic } from './basic';
import { none } from './none';
import { oauth1 } from './oauth1';
import { oauth2 } from './oauth2';
import { oauth2ClientCredentials } from './oauth2-client-credentials';

export type * from './auth-mode';

const STRATEGIES: Readonly<AuthModeStrategies> = Object.freeze({
  OAUTH2: oauth2,
  OAUTH2_CC: oauth2ClientCredentials,
  OAUTH1: oauth1,
  API_KEY: apiKey,
  BASIC: basic,
  NONE: none,
});

/** The strategy for `authMode`; narrow with `strategy.authMode` when the mode is a union. */
export function strategyFor<M extends AuthMode>(authMode: M): AuthModeStrategies[M] {
  return STRATEGIES[authMode];
}
