/**
 * The auth-mode strategies, by mode. Every mode registers here; generic code reaches a mode only
 * through authModeStrategy() / strategyOfCredentials().
 */
import type { Credentials } from '../credentials';
import { apiKey } from './api-key';
import { app } from './app';
import type { AuthModeStrategy } from './auth-mode';
import { basic } from './basic';
import { custom } from './custom';
import { mcpOAuth2, mcpOAuth2Generic } from './mcp-oauth2';
import { none } from './none';
import { oauth1 } from './oauth1';
import { oauth2 } from './oauth2';
import { oauth2ClientCredentials } from './oauth2-client-credentials';
import { twoStep } from './two-step';

export type * from './auth-mode';

/** Every mode's strategy; each is registered under its own `authMode`. */
const STRATEGIES = [oauth2, oauth2ClientCredentials, oauth1, apiKey, basic, none, mcpOAuth2, mcpOAuth2Generic, app, custom, twoStep] as const;

const REGISTRY: Readonly<Record<string, AuthModeStrategy>> = Object.freeze(
  Object.fromEntries(STRATEGIES.map((strategy) => [strategy.authMode, strategy as unknown as AuthModeStrategy])),
);

/** Every registered strategy. */
export function allStrategies(): AuthModeStrategy[] {
  return Object.values(REGISTRY) as AuthModeStrategy[];
}

/** The strategy for `authMode`, or undefined for a mode without one. */
export function authModeStrategy(authMode: string): AuthModeStrategy | undefined {
  return Object.hasOwn(REGISTRY, authMode) ? (REGISTRY[authMode] as AuthModeStrategy) : undefined;
}

/** The strategy that owns `credentials` (their `type` is their mode). */
export function strategyOfCredentials<C extends Credentials>(credentials: C): AuthModeStrategy<C> {
  const strategy = authModeStrategy(credentials.type);
  if (!strategy) throw new Error(`no auth-mode strategy for credentials of type ${credentials.type}`);
  return strategy as unknown as AuthModeStrategy<C>;
}
