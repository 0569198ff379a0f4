/**
 * Pure helpers of the Connect UI (no DOM, no network): how a provider is connected (its `connect`,
 * which the server derives from the auth mode's strategy), which fields its form has and how each is
 * shown, how a value is checked and sent, and the URLs and bodies of the auth routes (API.md §4).
 * Nothing here knows an auth mode. Shared by the browser (app.js) and the unit tests.
 */

/**
 * How `provider` is connected: `{kind: 'redirect'}` (a popup on GET /oauth/connect/{key}) or
 * `{kind: 'form', route, credentials, sections}` (a form posted to `route`: `credentials` at the top of
 * its body, each of `sections` as an object of its own), or null when the server names
 * neither (the page cannot connect it).
 */
export function connectStyleOf(provider) {
  const connect = provider?.connect;
  if (!connect || typeof connect !== 'object') return null;
  if (connect.kind === 'redirect') return { kind: 'redirect' };
  if (connect.kind === 'form' && typeof connect.route === 'string' && connect.route.startsWith('/') && connect.route.includes('{key}')) {
    const credentials = isMap(connect.credentials) ? connect.credentials : {};
    const sections = isMap(connect.sections) ? Object.fromEntries(Object.entries(connect.sections).filter(([, fields]) => isMap(fields))) : {};
    return { kind: 'form', route: connect.route, credentials, sections };
  }
  return null;
}

/** Simple checks for the catalog's `format` values (the pattern, when present, is the stricter rule). */
const FORMATS = {
  hostname: { test: (v) => /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(v), message: 'a host name' },
  uri: { test: (v) => URL.canParse(v), message: 'a URL' },
  uuid: { test: (v) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v), message: 'a UUID' },
  email: { test: (v) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v), message: 'an email address' },
};

function isMap(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function text(value) {
  return value === undefined || value === null ? '' : String(value);
}

/** The control a field is typed into: `textarea` (multi-line), else an input of `type` `password`, `url`, `email` or `text`. */
function controlOf(field) {
  if (field.multiline === true) return { control: 'textarea', inputType: null };
  if (field.secret === true) return { control: 'input', inputType: 'password' };
  return { control: 'input', inputType: INPUT_TYPES[field.format] ?? 'text' };
}

/** Formats with an input type of their own (the browser offers the right keyboard; the form still checks the value). */
const INPUT_TYPES = { uri: 'url', email: 'email' };

function descriptor(group, key, schema, section = null) {
  const field = schema ?? {};
  return {
    group,
    key,
    /** The body object the value goes in (`assertionOption`), or null for the top of the body. */
    section,
    name: section === null ? key : `${section}.${key}`,
    title: text(field.title) || key,
    description: text(field.description),
    prefix: text(field.prefix),
    suffix: text(field.suffix),
    placeholder: text(field.example),
    pattern: typeof field.pattern === 'string' && field.pattern !== '' ? field.pattern : null,
    format: typeof field.format === 'string' && FORMATS[field.format] ? field.format : null,
    required: field.optional !== true,
    hidden: field.hidden === true,
    secret: field.secret === true,
    multiline: field.multiline === true,
    ...controlOf(field),
    defaultValue: field.default_value === undefined ? null : text(field.default_value),
    order: typeof field.order === 'number' ? field.order : null,
    pinned: false,
    pinnedValue: null,
  };
}

function sortByOrder(fields) {
  return fields
    .map((field, index) => ({ field, index }))
    .sort((a, b) => (a.field.order ?? Number.MAX_SAFE_INTEGER) - (b.field.order ?? Number.MAX_SAFE_INTEGER) || a.index - b.index)
    .map(({ field }) => field);
}

/**
 * The fields of an integration's form, in display order: `connection_config` fields (sent as
 * `params[k]`) then, for a form, the credentials its `connect` names. Fields filled in automatically
 * from the token response (`automated`) are left out. Connection-config keys the session's
 * `integrations_config_defaults` pins are `pinned`: shown read-only with the pinned value and never
 * sent (the server applies the pin and refuses a different browser value).
 */
export function buildFields(provider, options = {}) {
  const preset = options.presetConnectionConfig ?? {};
  const config = Object.entries(provider?.connection_config ?? {})
    .filter(([, schema]) => schema?.automated !== true)
    .map(([key, schema]) => {
      const field = descriptor('params', key, schema);
      return Object.prototype.hasOwnProperty.call(preset, key) ? { ...field, pinned: true, pinnedValue: text(preset[key]) } : field;
    });
  const style = connectStyleOf(provider);
  const form = style?.kind === 'form' ? style : { credentials: {}, sections: {} };
  const typed = (fields, section) =>
    Object.entries(fields)
      .filter(([, schema]) => schema?.automated !== true)
      .map(([key, schema]) => descriptor('credentials', key, schema, section));
  const sections = Object.entries(form.sections).map(([section, fields]) => sortByOrder(typed(fields, section)));
  return [...sortByOrder(config), ...sortByOrder(typed(form.credentials, null)), ...sections.flat()];
}

/** Fields the end user sees (hidden ones are sent with their default value). */
export function visibleFields(fields) {
  return fields.filter((field) => !field.hidden);
}

/** The value as sent: trimmed, without the prefix / suffix shown around the input if they were pasted too. */
export function normalizeValue(field, raw) {
  // Secrets are sent exactly as typed: a password may start or end with a space.
  if (field.secret) return text(raw);
  let value = text(raw).trim();
  if (field.prefix && value.toLowerCase().startsWith(field.prefix.toLowerCase())) value = value.slice(field.prefix.length);
  if (field.suffix && value.toLowerCase().endsWith(field.suffix.toLowerCase())) value = value.slice(0, value.length - field.suffix.length);
  return value;
}

/** The error message for a value, or null when it is acceptable. Patterns are checked as the server checks them. */
export function validateField(field, raw) {
  if (field.pinned) return null;
  const value = normalizeValue(field, raw);
  if (value === '') return field.required && field.defaultValue === null ? `${field.title} is required.` : null;
  if (field.pattern !== null) {
    let re;
    try {
      re = new RegExp(field.pattern);
    } catch {
      re = null;
    }
    if (re && !re.test(value)) return field.placeholder ? `${field.title} does not have the expected format (for example ${field.placeholder}).` : `${field.title} does not have the expected format.`;
  } else if (field.format !== null && !FORMATS[field.format].test(value)) {
    return `${field.title} must be ${FORMATS[field.format].message}.`;
  }
  return null;
}

/**
 * Checks every field; `values` maps field names to what was typed (hidden fields take their default).
 * Returns `{errors, params, credentials}`; a section's credentials are an object of their own in `credentials`.
 */
export function collectValues(fields, values) {
  const errors = {};
  const params = {};
  const credentials = {};
  const put = (field, value) => {
    if (field.group === 'params') params[field.key] = value;
    else if (field.section === null) credentials[field.key] = value;
    else (credentials[field.section] ??= {})[field.key] = value;
  };
  for (const field of fields) {
    // The session's pin is the server's to apply: sending it would only invite a mismatch.
    if (field.pinned) continue;
    if (field.hidden) {
      if (field.defaultValue !== null) put(field, field.defaultValue);
      continue;
    }
    const error = validateField(field, values[field.name]);
    if (error) {
      errors[field.name] = error;
      continue;
    }
    const value = normalizeValue(field, values[field.name]);
    if (value !== '') put(field, value);
    else if (field.defaultValue !== null) put(field, field.defaultValue);
  }
  return { errors, params, credentials };
}

function withQuery(apiURL, path, query) {
  const url = new URL(apiURL.replace(/\/+$/, '') + path);
  for (const [key, value] of query) url.searchParams.append(key, value);
  return url.toString();
}

function paramsQuery(params) {
  return Object.entries(params).map(([key, value]) => [`params[${key}]`, value]);
}

/** The URL the OAuth popup opens (`ws_client_id` routes the outcome to this page's WebSocket too). */
export function oauthUrl(apiURL, providerConfigKey, sessionToken, params = {}, wsClientId = null) {
  const ws = wsClientId ? [['ws_client_id', wsClientId]] : [];
  return withQuery(apiURL, `/oauth/connect/${encodeURIComponent(providerConfigKey)}`, [['connect_session_token', sessionToken], ...ws, ...paramsQuery(params)]);
}

/**
 * The request of a form: `{url, body}` for `route` (`{key}` filled in with the integration's key), the
 * session token and `params[…]` in the query, the credentials as the JSON body.
 */
export function formRequest(apiURL, route, providerConfigKey, sessionToken, params = {}, credentials = {}) {
  const path = route.replaceAll('{key}', encodeURIComponent(providerConfigKey));
  return { url: withQuery(apiURL, path, [['connect_session_token', sessionToken], ...paramsQuery(params)]), body: { ...credentials } };
}

/** The titles of the credential fields the end user sees (what a refusal is about). */
export function credentialTitles(fields) {
  return visibleFields(fields).filter((field) => field.group === 'credentials').map((field) => field.title);
}

/**
 * An API error envelope as the form shows it: `{code, message, fieldErrors}` where fieldErrors maps a
 * field name to the message of an `errors[]` entry whose path names it (`["params","subdomain"]`, `["apiKey"]`).
 */
export function describeApiError(body, fields = []) {
  const error = body && typeof body === 'object' && body.error && typeof body.error === 'object' ? body.error : {};
  const code = typeof error.code === 'string' ? error.code : 'unknown_error';
  const message = typeof error.message === 'string' && error.message !== '' ? error.message : 'The request failed.';
  const fieldErrors = {};
  for (const detail of Array.isArray(error.errors) ? error.errors : []) {
    const path = Array.isArray(detail?.path) ? detail.path : [];
    const field = fields.find((f) => {
      if (f.group === 'params') return path[0] === 'params' && path[1] === f.key;
      return f.section === null ? path.length === 1 && path[0] === f.key : path.length === 2 && path[0] === f.section && path[1] === f.key;
    });
    if (field && !field.hidden) fieldErrors[field.name] = typeof detail.message === 'string' ? detail.message : message;
  }
  return { code, message, fieldErrors };
}

/** `light` or `dark` from the session's default, an optional `?theme=` override and the system preference. */
export function resolveTheme(defaultTheme, override, prefersDark) {
  const choice = ['light', 'dark', 'system'].includes(override) ? override : defaultTheme;
  if (choice === 'light' || choice === 'dark') return choice;
  return prefersDark ? 'dark' : 'light';
}

/** Black or white, whichever reads better on a `#rgb` / `#rrggbb` background (null for other colour syntaxes). */
export function contrastText(color) {
  const match = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(text(color).trim());
  if (!match) return null;
  const hex = match[1].length === 3 ? [...match[1]].map((c) => c + c).join('') : match[1];
  const [r, g, b] = [0, 2, 4].map((i) => {
    const channel = parseInt(hex.slice(i, i + 2), 16) / 255;
    return channel <= 0.03928 ? channel / 12.92 : ((channel + 0.055) / 1.055) ** 2.4;
  });
  const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  // Contrast with white vs. with black (WCAG relative luminance).
  return 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.05 ? '#ffffff' : '#000000';
}
