/**
 * How the Connect UI connects a provider, as `GET /providers` shows it under `connect` (ours, not
 * Nango's): derived from the auth mode's strategy, so the UI never switches on an auth mode.
 *
 * - `{kind: 'redirect'}`: the UI opens `GET /oauth/connect/{key}` in a popup (OAuth, an app installation…).
 * - `{kind: 'form', route, credentials}`: the UI posts `{...credentials}` to `route` (`{key}` stands for
 *   the integration's unique key) with the session token and `params[…]` in the query. `credentials`
 *   are the fields the end user types, in the catalog's field schema: the catalog entry's own
 *   `credentials` fields over those the strategy's form body declares (titled by the body's metadata,
 *   `.meta({title, secret, multiline})`, when the catalog has no schema for them).
 * - `null`: a mode the UI cannot connect (no strategy).
 */
import { z } from 'zod';
import { authModeStrategy } from '../../../providers/auth-modes';
import type { ConnectStyle } from '../../../providers/auth-modes';
import type { FieldSchema, ProviderEntry } from '../../../providers/catalog-schema';
import { legacyConnectStyle } from './legacy-connect-styles';

/** A field as the Connect UI renders it (the catalog's field schema). */
export type ConnectField = Readonly<Partial<FieldSchema>> & { readonly type: 'string'; readonly title: string };

export type ConnectView =
  | { readonly kind: 'redirect' }
  | { readonly kind: 'form'; readonly route: string; readonly credentials: Readonly<Record<string, ConnectField>> };

/** Body metadata the catalog's field schema also has (anything else in `.meta()` is not shown). */
const SHOWN_META = ['title', 'description', 'example', 'secret', 'multiline', 'order'] as const;

/** The `connect` of `entry`, or null when its mode has no strategy. */
export function presentConnect(entry: ProviderEntry): ConnectView | null {
  const style = authModeStrategy(entry.auth_mode)?.connect ?? legacyConnectStyle(entry.auth_mode);
  return style ? connectView(entry, style) : null;
}

/** The view of one connect style for one entry. */
export function connectView(entry: ProviderEntry, style: ConnectStyle): ConnectView | null {
  if (style.kind === 'redirect') return { kind: 'redirect' };
  const route = routeTemplate(style.routes[0]);
  if (route === null) return null;
  return { kind: 'form', route, credentials: formCredentials(entry, style.body) };
}

/**
 * A koa route (`/api-auth/api-key/:key`) as the UI fills it in (`/api-auth/api-key/{key}`): its one
 * parameter is the integration's key. Null for no route, or a route with more than one parameter.
 */
export function routeTemplate(route: string | undefined): string | null {
  if (route === undefined) return null;
  const params = route.match(/:[A-Za-z_][A-Za-z0-9_]*/g) ?? [];
  if (params.length !== 1) return null;
  return route.replace(params[0]!, '{key}');
}

/**
 * The fields a form posts: those the body declares (in its order), then the catalog's other
 * `credentials` fields; the catalog's schema of a field wins over the body's metadata (and says
 * whether the field is optional). Fields the
 * catalog marks `automated` are not typed by anyone and are left out.
 */
export function formCredentials(entry: Pick<ProviderEntry, 'credentials'>, body: z.ZodType): Record<string, ConnectField> {
  const catalog = entry.credentials ?? {};
  const declared = declaredFields(body);
  const fields: Record<string, ConnectField> = {};
  for (const key of new Set([...Object.keys(declared), ...Object.keys(catalog)])) {
    const own = catalog[key];
    if (own?.automated === true) continue;
    if (!own) {
      fields[key] = declared[key]!;
      continue;
    }
    // Whether the field may be left out is the catalog's to say when it has the field.
    const { optional: _bodySays, ...defaults } = declared[key] ?? {};
    fields[key] = { ...defaults, ...own };
  }
  return fields;
}

// A strategy's body is one object for the process: converted once.
const declaredCache = new WeakMap<z.ZodType, Readonly<Record<string, ConnectField>>>();

/** The string properties of an object body, with their `.meta()` and whether they may be left out. */
function declaredFields(body: z.ZodType): Readonly<Record<string, ConnectField>> {
  let fields = declaredCache.get(body);
  if (!fields) {
    fields = convert(body);
    declaredCache.set(body, fields);
  }
  return fields;
}

function convert(body: z.ZodType): Record<string, ConnectField> {
  let schema: unknown;
  try {
    schema = z.toJSONSchema(body, { io: 'input', unrepresentable: 'any' });
  } catch {
    return {};
  }
  const { properties, required } = (schema ?? {}) as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
  const fields: Record<string, ConnectField> = {};
  for (const [key, property] of Object.entries(properties ?? {})) {
    if (property['type'] !== 'string') continue;
    const meta = Object.fromEntries(SHOWN_META.filter((name) => property[name] !== undefined).map((name) => [name, property[name]]));
    fields[key] = { type: 'string', title: key, ...meta, ...(required?.includes(key) ? {} : { optional: true }) } as ConnectField;
  }
  return fields;
}
