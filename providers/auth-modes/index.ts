/** Picks the auth-mode strategy for a catalog entry's `auth_mode`. */
import type { AuthMode } from '../catalog-schema';
import type { Credentials, CredentialsOf } from '../credentials';
import { apiKey } from './api-key';
import type { AuthModeStrategies, AuthModeStrategy } from './auth-mode';
import { basic } from './basic';
import { none } from './none';
import { oauth1 } from './oauth1';
import { oauth2 } from './oauth2';
import { oauth2ClientCredentials } from './oauth2-client-credentials';
import { twoStep } from './two-step';

export type * from './auth-mode';

const STRATEGIES: Readonly<AuthModeStrategies> = Object.freeze({
  OAUTH2: oauth2,
  OAUTH2_CC: oauth2ClientCredentials,
  OAUTH1: oauth1,
  API_KEY: apiKey,
  BASIC: basic,
  NONE: none,
});

/** Transitional (old-style strategies of the first five modes); see authModeStrategy. */
export function strategyFor<M extends keyof AuthModeStrategies>(authMode: M): AuthModeStrategies[M] {
  return STRATEGIES[authMode];
}

/**
 * The full strategy of each mode. Every mode registers here; generic code reaches a mode only through
 * authModeStrategy().
 */
const REGISTRY: { readonly [M in AuthMode]?: AuthModeStrategy<CredentialsOf<M>> } = {
  TWO_STEP: twoStep,
};

/** The strategy for `authMode`, or undefined for a mode without one. */
export function authModeStrategy(authMode: string): AuthModeStrategy | undefined {
  return (REGISTRY as Record<string, AuthModeStrategy | undefined>)[authMode];
}

/** The strategy that owns `credentials` (their `type` is their mode). */
export function strategyOfCredentials<C extends Credentials>(credentials: C): AuthModeStrategy<C> | undefined {
  return authModeStrategy(credentials.type) as AuthModeStrategy<C> | undefined;
}
