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

/** A field as the Connect UI renders it (the catalog's field schema). */
export type ConnectField = Readonly<Partial<FieldSchema>> & { readonly type: 'string'; readonly title: string };

export type ConnectView =
  | { readonly kind: 'redirect' }
  | {
      readonly kind: 'form';
      readonly route: string;
      /** Posted at the top of the body. */
      readonly credentials: Readonly<Record<string, ConnectField>>;
      /** Posted inside the body's object of that name (`{assertionOption: {privateKey}}`). */
      readonly sections: Readonly<Record<string, Readonly<Record<string, ConnectField>>>>;
    };

/** Body metadata the catalog's field schema also has (anything else in `.meta()` is not shown). */
const SHOWN_META = ['title', 'description', 'example', 'secret', 'multiline', 'order'] as const;

/** The `connect` of `entry`, or null when its mode has no strategy. */
export function presentConnect(entry: ProviderEntry): ConnectView | null {
  const style = authModeStrategy(entry.auth_mode)?.connect;
  return style ? connectView(entry, style) : null;
}

/** The view of one connect style for one entry. */
export function connectView(entry: ProviderEntry, style: ConnectStyle): ConnectView | null {
  if (style.kind === 'redirect') return { kind: 'redirect' };
  const route = routeTemplate(style.routes[0]);
  if (route === null) return null;
  return { kind: 'form', route, credentials: formCredentials(entry, style.body), sections: formSections(entry, style.body) };
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
 * The fields a form posts at the top of its body: those the body declares (in its order), then the
 * catalog's other `credentials` fields; the catalog's schema of a field wins over the body's metadata
 * (and says whether the field is optional). Fields the catalog marks `automated` are not typed by
 * anyone and are left out.
 */
export function formCredentials(entry: Pick<ProviderEntry, 'credentials'>, body: z.ZodType): Record<string, ConnectField> {
  return mergeFields(declaredOf(body).fields, entry.credentials ?? {});
}

/**
 * The fields a form posts inside an object of its body: a body property `fooBar` that is an object
 * takes its fields from the entry's `foo_bar` field map, when the entry has one (TWO_STEP's
 * `assertionOption`, the private key an assertion is signed with, from `assertion_option`).
 */
export function formSections(entry: ProviderEntry, body: z.ZodType): Record<string, Record<string, ConnectField>> {
  const sections: Record<string, Record<string, ConnectField>> = {};
  for (const key of declaredOf(body).objects) {
    const fields = fieldMapAt(entry, key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`));
    if (!fields) continue;
    const merged = mergeFields({}, fields);
    if (Object.keys(merged).length > 0) sections[key] = merged;
  }
  return sections;
}

function mergeFields(declared: Readonly<Record<string, ConnectField>>, catalog: Readonly<Record<string, Readonly<FieldSchema>>>): Record<string, ConnectField> {
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

/** The entry's field map under `key` (every value a field schema with a title), or undefined. */
function fieldMapAt(entry: ProviderEntry, key: string): Readonly<Record<string, Readonly<FieldSchema>>> | undefined {
  const value = (entry as unknown as Record<string, unknown>)[key];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const isField = (field: unknown) => field !== null && typeof field === 'object' && typeof (field as { title?: unknown }).title === 'string';
  return Object.values(value).every(isField) ? (value as Record<string, Readonly<FieldSchema>>) : undefined;
}

/** What a body declares: its string properties (with their `.meta()` and whether they may be left out) and its object properties. */
interface Declared {
  readonly fields: Readonly<Record<string, ConnectField>>;
  readonly objects: readonly string[];
}

// A strategy's body is one object for the process: converted once.
const declaredCache = new WeakMap<z.ZodType, Declared>();

function declaredOf(body: z.ZodType): Declared {
  let declared = declaredCache.get(body);
  if (!declared) {
    declared = convert(body);
    declaredCache.set(body, declared);
  }
  return declared;
}

function convert(body: z.ZodType): Declared {
  let schema: unknown;
  try {
    schema = z.toJSONSchema(body, { io: 'input', unrepresentable: 'any' });
  } catch {
    return { fields: {}, objects: [] };
  }
  const { properties, required } = (schema ?? {}) as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
  const fields: Record<string, ConnectField> = {};
  const objects: string[] = [];
  for (const [key, property] of Object.entries(properties ?? {})) {
    // A fixed value (`type: 'TWO_STEP'`) is nobody's to type.
    if ('const' in property || 'enum' in property) continue;
    if (property['type'] === 'object') objects.push(key);
    if (property['type'] !== 'string') continue;
    const meta = Object.fromEntries(SHOWN_META.filter((name) => property[name] !== undefined).map((name) => [name, property[name]]));
    // `.meta({optional: false})`: the form asks for a value the API could do without.
    const optional = typeof property['optional'] === 'boolean' ? property['optional'] : !required?.includes(key);
    fields[key] = { type: 'string', title: key, ...meta, ...(optional ? { optional: true } : {}) } as ConnectField;
  }
  return { fields, objects };
}
