/**
 * A connect session's pins (`integrations_config_defaults.<key>`): values the backend chose when it
 * created the session. The browser may repeat a pinned value, never change it: a different value is
 * refused with 400 `pinned_by_session` naming the field, so a user who edits the Connect UI's query
 * (or crafts one) cannot move a connection to another tenant, scope or authorization parameter.
 */
import { ValidationError } from '../errors';

/** What a session pins for one integration, as `POST /connect/sessions` stores it. */
export interface SessionPins {
  /** Comma-separated, like the browser's `user_scope`. */
  user_scopes?: string;
  authorization_params?: Record<string, string>;
  connection_config?: Record<string, unknown> & { oauth_scopes_override?: unknown };
}

/** The session's pins for integration `key` (none when it pins nothing). */
export function pinsFor(integrationsConfigDefaults: Record<string, unknown> | null, key: string): SessionPins {
  const all = (integrationsConfigDefaults ?? {}) as Record<string, SessionPins | undefined>;
  return Object.prototype.hasOwnProperty.call(all, key) ? (all[key] ?? {}) : {};
}

/** The pinned value as the browser would send it (connection_config may pin a number or a boolean). */
function asSent(value: unknown): string | null {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : null;
}

function refused(path: string[], name: string): ValidationError {
  return new ValidationError('pinned_by_session', `${name} is set by the connect session and cannot be changed`, {
    errors: [{ code: 'pinned_by_session', message: 'set by the connect session; it cannot be changed', path }],
  });
}

/**
 * `browser` (the request's `<prefix>[…]` values) under `pins`: the result holds every pin; a browser
 * value for a pinned key must equal the pin, else 400 `pinned_by_session` with the path `[prefix, key]`.
 */
export function mergeUnderPins<T>(pins: Readonly<Record<string, T>> | undefined, browser: Readonly<Record<string, string>>, prefix: 'params' | 'authorization_params'): Record<string, T | string> {
  const merged: Record<string, T | string> = { ...browser };
  for (const [key, pin] of Object.entries(pins ?? {})) {
    if (Object.prototype.hasOwnProperty.call(browser, key) && browser[key] !== asSent(pin)) throw refused([prefix, key], `${prefix}[${key}]`);
    merged[key] = pin;
  }
  return merged;
}

function scopeList(value: string): string[] {
  return value.split(',').map((scope) => scope.trim()).filter(Boolean);
}

/** The user scopes to request: the pinned `user_scopes` (the browser's `user_scope` may only repeat them), else the browser's. */
export function userScopeUnderPin(pinned: string | undefined, browser: string | undefined): string[] | undefined {
  if (pinned === undefined) return browser === undefined ? undefined : scopeList(browser);
  const pin = scopeList(pinned);
  if (browser !== undefined && scopeList(browser).join(',') !== pin.join(',')) throw refused(['user_scope'], 'user_scope');
  return pin;
}

/** The first pinned key that `values` (what a callback or token response brought back) sets to something else, or null. */
export function pinConflict(pins: Readonly<Record<string, unknown>> | undefined, values: Readonly<Record<string, unknown>>): string | null {
  for (const [key, pin] of Object.entries(pins ?? {})) {
    if (Object.prototype.hasOwnProperty.call(values, key) && asSent(values[key]) !== asSent(pin)) return key;
  }
  return null;
}
