/**
 * Custodian Connect UI (DESIGN.md §7, API.md §1 and §4): a plain ES module, no framework, no build.
 *
 * Modes: standalone (opened from a session's `connect_link`: `?session_token=&apiURL=`) and embedded
 * (in `@nangohq/frontend`'s iframe: posts `{type:"ready"}` to the parent and waits for
 * `{type:"session_token",sessionToken}`). Screens carry `data-screen="loading|list|form|oauth-wait|success|error"`.
 * How a provider connects (a popup, or a form posted to a route) and what its form asks come from the
 * API (`GET /providers/:name`'s `connect` and field schemas): nothing here knows an auth mode.
 * Everything is built with DOM calls and textContent: nothing from the API is parsed as HTML.
 */
import {
  buildFields,
  collectValues,
  connectStyleOf,
  contrastText,
  credentialTitles,
  describeApiError,
  formRequest,
  oauthUrl,
  resolveTheme,
  validateField,
  visibleFields,
} from './form-fields.js';
import { credentialWords, errorIdOf, humanError } from './error-messages.js';

const query = new URLSearchParams(window.location.search);
const embedded = window.parent !== window;
const apiURL = apiUrlFrom(query.get('apiURL'));
const themeOverride = query.get('theme');
const detectClosedAuthWindow = query.get('detectClosedAuthWindow') === 'true';
const main = document.getElementById('main');
const announcer = document.getElementById('announcer');
const darkScheme = window.matchMedia('(prefers-color-scheme: dark)');

const state = {
  token: null,
  session: null,
  integrations: [],
  providers: new Map(),
  /** The OAuth popup being watched: `{popup, integration, timer, done}`. */
  oauth: null,
  /** `{integration, params}` of the OAuth outcome that may still arrive over the WebSocket (even after its popup closed). */
  awaiting: null,
  /** The API's WebSocket (API.md §4) and the `ws_client_id` it acknowledged, when it could be opened. */
  socket: null,
  wsClientId: null,
  /** Bumped on every new start so late answers of an older session are dropped. */
  generation: 0,
};

// ---------------------------------------------------------------------------------------------
// Small DOM helpers

/** `h('p', {class: 'x', onclick: fn}, 'text', child)`: attributes, `on*` listeners, `dataset`. */
function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return element;
}

function announce(message) {
  announcer.textContent = '';
  // A new text node after clearing makes screen readers announce repeated messages too.
  window.setTimeout(() => {
    announcer.textContent = message;
  }, 50);
}

function apiUrlFrom(raw) {
  if (raw) {
    try {
      const url = new URL(raw, window.location.href);
      if (url.protocol === 'http:' || url.protocol === 'https:') return url.toString().replace(/\/+$/, '');
    } catch {
      // fall through to the default
    }
  }
  return window.location.origin;
}

// ---------------------------------------------------------------------------------------------
// Parent window (embedded mode)

function postToParent(message) {
  if (embedded) window.parent.postMessage(message, '*');
}

function closeUI() {
  finishOAuth();
  if (embedded) postToParent({ type: 'close' });
  else window.close();
}

window.addEventListener('message', (event) => {
  const data = event.data;
  if (!data || typeof data !== 'object' || typeof data.type !== 'string') return;
  if (embedded && event.source === window.parent && data.type === 'session_token') {
    if (typeof data.sessionToken === 'string' && data.sessionToken !== '' && data.sessionToken !== state.token) void start(data.sessionToken);
    return;
  }
  const flow = state.oauth;
  if (!flow || flow.done || event.source !== flow.popup) return;
  const payload = data.payload && typeof data.payload === 'object' ? data.payload : {};
  if (data.type === 'nango_oauth_callback_success') {
    oauthSucceeded(flow.integration.unique_key, payload.providerConfigKey, payload.connectionId);
  } else if (data.type === 'nango_oauth_callback_error') {
    oauthFailed(flow.integration.unique_key, payload.errorType);
  }
});

/** An OAuth outcome from the popup's message or the WebSocket; the first one for the awaited integration wins. */
function oauthSucceeded(key, providerConfigKey, connectionId) {
  const integration = state.awaiting?.integration;
  if (!integration || integration.unique_key !== key) return;
  finishOAuth();
  succeed(integration, {
    providerConfigKey: typeof providerConfigKey === 'string' ? providerConfigKey : key,
    connectionId: typeof connectionId === 'string' ? connectionId : '',
  });
}

function oauthFailed(key, errorType) {
  const awaited = state.awaiting;
  if (!awaited || awaited.integration.unique_key !== key) return;
  finishOAuth();
  oauthError(typeof errorType === 'string' ? errorType : 'authorization_failed', awaited);
}

/** The error screen after an OAuth attempt: Try again opens the popup again (in its click), Back returns to the form. */
function oauthError(code, { integration, params }) {
  const human = fail({ code }, { integration, retry: () => openOAuth(integration, params), back: () => void openIntegration(integration, hasList()) });
  // Opened now so that its ws_client_id is known when Try again opens the popup (which must happen in the click itself).
  if (human.retryable) openSocket();
}

// ---------------------------------------------------------------------------------------------
// WebSocket (second channel for OAuth outcomes: it still works when a provider's page cuts the
// popup's link to this window). Opened ahead of time so the popup opens in the click itself.

function openSocket() {
  if (state.socket || typeof window.WebSocket !== 'function') return;
  let url;
  try {
    url = new URL(state.session?.websocketsPath || '/', `${apiURL}/`);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  } catch {
    return;
  }
  let socket;
  try {
    socket = new window.WebSocket(url.toString());
  } catch {
    return;
  }
  state.socket = socket;
  socket.addEventListener('message', (event) => {
    let message;
    try {
      message = JSON.parse(String(event.data));
    } catch {
      return;
    }
    if (!message || typeof message !== 'object') return;
    if (message.message_type === 'connection_ack' && typeof message.ws_client_id === 'string') state.wsClientId = message.ws_client_id;
    else if (message.message_type === 'success') oauthSucceeded(message.provider_config_key, message.provider_config_key, message.connection_id);
    else if (message.message_type === 'error') oauthFailed(message.provider_config_key, message.error_type);
  });
  const forget = () => {
    if (state.socket !== socket) return;
    state.socket = null;
    state.wsClientId = null;
  };
  socket.addEventListener('close', forget);
  socket.addEventListener('error', forget);
}

function closeSocket() {
  const socket = state.socket;
  state.socket = null;
  state.wsClientId = null;
  try {
    socket?.close();
  } catch {
    // already closed
  }
}

document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && embedded && !event.defaultPrevented) closeUI();
});

// ---------------------------------------------------------------------------------------------
// Theme

function applyTheme() {
  const settings = state.session?.connectUISettings ?? {};
  const theme = resolveTheme(settings.defaultTheme ?? 'system', themeOverride, darkScheme.matches);
  const root = document.documentElement;
  root.dataset.theme = theme;
  const primary = settings.theme?.[theme]?.primary;
  if (typeof primary === 'string' && window.CSS?.supports('color', primary)) {
    root.style.setProperty('--primary', primary);
    root.style.setProperty('--on-primary', contrastText(primary) ?? '#ffffff');
  } else {
    root.style.removeProperty('--primary');
    root.style.removeProperty('--on-primary');
  }
}

darkScheme.addEventListener('change', applyTheme);

/** The environment's own logo above the panel (decorative: the page title names the product). */
function showBrand(logoUrl) {
  const brand = document.getElementById('brand');
  if (!brand) return;
  brand.replaceChildren();
  brand.hidden = true;
  if (typeof logoUrl !== 'string' || !/^https?:\/\//.test(logoUrl)) return;
  const img = h('img', { src: logoUrl, alt: '', class: 'brand-logo', height: '40' });
  img.addEventListener('error', () => {
    brand.hidden = true;
  });
  brand.append(img);
  brand.hidden = false;
}

// ---------------------------------------------------------------------------------------------
// API

class ApiError extends Error {
  constructor(status, body) {
    const described = describeApiError(body);
    super(described.message);
    this.status = status;
    this.body = body;
    this.code = described.code;
    this.errorId = errorIdOf(body);
  }
}

/** The facts `humanError` needs about a failed fetch: `{code, status, errorId}`. */
function errorOf(error) {
  if (error instanceof ApiError) return { code: error.code, status: error.status, errorId: error.errorId };
  return { code: window.navigator.onLine === false ? 'offline' : 'network_error' };
}

async function readJson(response) {
  const text = await response.text();
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

async function apiGet(path) {
  const response = await fetch(`${apiURL}${path}`, { headers: { Authorization: `Bearer ${state.token}`, Accept: 'application/json' } });
  const body = await readJson(response);
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

async function providerOf(integration) {
  if (!state.providers.has(integration.provider)) {
    const body = await apiGet(`/providers/${encodeURIComponent(integration.provider)}`);
    state.providers.set(integration.provider, body.data);
  }
  return state.providers.get(integration.provider);
}

// ---------------------------------------------------------------------------------------------
// Screens

/** Replaces the current screen and moves focus to its heading. */
function showScreen(name, { title, back, body = [], busy = false, extra = {} }) {
  const headingId = `heading-${name}`;
  const toolbar = h(
    'div',
    { class: 'toolbar' },
    back ? h('button', { type: 'button', class: 'icon-button', 'data-action': 'back', onclick: back }, h('span', { 'aria-hidden': 'true' }, '\u2190'), ' Back') : h('span'),
    embedded ? h('button', { type: 'button', class: 'icon-button', 'data-action': 'close', 'aria-label': 'Close', onclick: closeUI }, h('span', { 'aria-hidden': 'true' }, '\u2715')) : null,
  );
  const heading = h('h1', { id: headingId, tabindex: '-1' }, title);
  const section = h('section', { class: 'screen', 'data-screen': name, 'aria-labelledby': headingId, 'aria-busy': busy ? 'true' : null, ...extra }, toolbar, heading, ...body);
  main.replaceChildren(section);
  heading.focus();
  return section;
}

function showLoading(message = 'Loading\u2026') {
  showScreen('loading', { title: message, busy: true, body: [h('div', { class: 'spinner', 'aria-hidden': 'true' })] });
}

function logo(integration) {
  const initial = h('span', { class: 'logo-fallback', 'aria-hidden': 'true' }, (integration.display_name || integration.unique_key).slice(0, 1).toUpperCase());
  if (!integration.logo) return initial;
  const img = h('img', { class: 'logo', src: integration.logo, alt: '', width: '32', height: '32' });
  img.addEventListener('error', () => img.replaceWith(initial));
  return img;
}

function endUserLine() {
  const user = state.session?.endUser;
  const who = user?.display_name || user?.email;
  return who ? h('p', { class: 'muted' }, `Connecting for ${who}`) : null;
}

function showList() {
  const items = state.integrations.map((integration) =>
    h(
      'li',
      {},
      h(
        'button',
        { type: 'button', class: 'integration', dataset: { integration: integration.unique_key }, onclick: () => void openIntegration(integration, true) },
        logo(integration),
        h('span', { class: 'integration-name' }, integration.display_name || integration.unique_key),
        h('span', { class: 'chevron', 'aria-hidden': 'true' }, '\u203A'),
      ),
    ),
  );
  showScreen('list', {
    title: 'Connect an integration',
    body: [
      endUserLine(),
      items.length > 0 ? h('ul', { class: 'integration-list', 'aria-label': 'Integrations' }, items) : h('p', { class: 'muted' }, 'No integrations are available for this session.'),
    ],
  });
}

/** True when the list screen exists to go back to. */
function hasList() {
  return state.integrations.length > 1 && !state.session?.isReconnecting;
}

async function openIntegration(integration, fromList) {
  const generation = state.generation;
  showLoading(`Loading ${integration.display_name || integration.unique_key}\u2026`);
  try {
    const provider = await providerOf(integration);
    if (generation !== state.generation) return;
    showForm(integration, provider);
  } catch (error) {
    if (generation !== state.generation) return;
    fail(errorOf(error), { integration, retry: () => void openIntegration(integration, fromList), back: fromList ? () => showList() : null });
  }
}

/** The name the end user knows the integration by. */
function nameOf(integration, provider) {
  return integration.display_name || provider?.display_name || integration.unique_key;
}

/** What the end user is about to do, from how the provider connects and what its form asks. */
function guidance(name, style, fields) {
  if (style.kind === 'redirect') return `You will sign in to ${name} in a new window and authorize access.`;
  const titles = credentialTitles(fields);
  if (titles.length > 0 && titles.length < 3) return `Enter ${credentialWords(titles).what.replace(/^this /, 'the ')} for ${name}.`;
  return visibleFields(fields).length > 0 ? `Enter your ${name} details.` : `Connect ${name}.`;
}

function fieldElement(field, index) {
  const id = `field-${index}`;
  const describedBy = [];
  const description = field.description ? h('p', { class: 'hint', id: `${id}-description` }, field.description) : null;
  if (description) describedBy.push(description.id);
  const prefix = field.prefix ? h('span', { class: 'affix', id: `${id}-prefix` }, field.prefix) : null;
  const suffix = field.suffix ? h('span', { class: 'affix', id: `${id}-suffix` }, field.suffix) : null;
  if (prefix) describedBy.push(prefix.id);
  if (suffix) describedBy.push(suffix.id);
  const error = h('p', { class: 'field-error', id: `${id}-error`, hidden: true });
  describedBy.push(error.id);
  const common = {
    id,
    name: field.name,
    spellcheck: 'false',
    autocapitalize: 'none',
    autocorrect: 'off',
    placeholder: field.pinned ? null : field.placeholder || null,
    // A value the session pins is shown, not edited (the server refuses a different one).
    readonly: field.pinned,
    'aria-readonly': field.pinned ? 'true' : null,
    required: !field.pinned && field.required && field.defaultValue === null,
    'aria-describedby': describedBy.join(' '),
  };
  const value = field.pinned ? field.pinnedValue : field.defaultValue ?? null;
  let input;
  if (field.control === 'textarea') {
    // A private key or a certificate: its line breaks are kept; a secret one is masked (styles.css) and never remembered.
    input = h('textarea', { ...common, rows: '6', autocomplete: 'off', class: field.secret ? 'secret-text' : null, 'data-secret': field.secret ? 'true' : null });
    if (value !== null) input.value = value;
  } else {
    input = h('input', { ...common, type: field.inputType, autocomplete: field.secret ? 'new-password' : 'off', value });
  }
  const showError = (message) => {
    error.textContent = message ?? '';
    error.hidden = !message;
    if (message) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  };
  let touched = false;
  input.addEventListener('blur', () => {
    // Not while the submit button is being pressed: an error appearing now would move the button
    // away from under the pointer and swallow the click. The submit validates everything anyway.
    if (input.form?.dataset.pressing === 'true') return;
    touched = touched || input.value !== '';
    if (touched) showError(validateField(field, input.value));
  });
  input.addEventListener('input', () => {
    if (!error.hidden) showError(validateField(field, input.value));
  });
  const note = field.pinned
    ? h('span', { class: 'optional' }, ' (set for you)')
    : field.required && field.defaultValue === null ? null : h('span', { class: 'optional' }, ' (optional)');
  const label = h('label', { for: id }, field.title, note);
  const element = h('div', { class: 'field', dataset: field.pinned ? { field: field.name, pinned: 'true' } : { field: field.name } }, label, description, h('div', { class: 'input-group' }, prefix, input, suffix), error);
  return { element, input, showError };
}

function showForm(integration, provider) {
  const name = nameOf(integration, provider);
  const style = connectStyleOf(provider);
  if (!style) {
    fail({ code: 'invalid_auth_mode' }, { integration, back: hasList() ? () => showList() : null });
    return;
  }
  const defaults = state.session?.integrations_config_defaults?.[integration.unique_key]?.connection_config ?? {};
  const fields = buildFields(provider, { presetConnectionConfig: defaults });
  const controls = new Map();
  const visible = visibleFields(fields).map((field, index) => {
    const control = fieldElement(field, index);
    controls.set(field.name, control);
    return control.element;
  });
  const formError = h('div', { class: 'form-error', role: 'alert', 'data-form-error': '' });
  const redirect = style.kind === 'redirect';
  if (redirect) openSocket();
  const submit = h('button', { type: 'submit', class: 'primary' }, redirect ? `Connect with ${name}` : 'Connect');
  const form = h('form', { novalidate: true, 'data-integration': integration.unique_key, 'data-auth-mode': provider.auth_mode, 'data-connect': style.kind }, ...visible, formError, submit);
  submit.addEventListener('pointerdown', () => {
    form.dataset.pressing = 'true';
    window.setTimeout(() => delete form.dataset.pressing, 1000);
  });

  /** Shows `human` (from humanError) above the submit button, with Try again (submitting again) when that can help; null clears it. */
  const showFormError = (human) => {
    formError.replaceChildren();
    if (!human) return null;
    const retry = human.retryable
      ? h('button', { type: 'button', class: 'secondary', 'data-action': 'retry', onclick: () => form.requestSubmit(submit) }, 'Try again')
      : null;
    formError.append(
      h('div', { class: 'form-error-message', 'data-error-code': human.code },
        h('p', {}, human.message),
        human.detail ? h('p', { class: 'error-detail', 'data-error-detail': '' }, human.detail) : null,
        retry),
    );
    return retry;
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (form.dataset.busy === 'true') return;
    showFormError(null);
    const values = Object.fromEntries([...controls].map(([fieldName, control]) => [fieldName, control.input.value]));
    const { errors, params, credentials } = collectValues(fields, values);
    for (const [fieldName, control] of controls) control.showError(errors[fieldName] ?? null);
    const invalid = Object.keys(errors);
    if (invalid.length > 0) {
      controls.get(invalid[0])?.input.focus();
      announce(invalid.length === 1 ? 'One field needs attention.' : `${invalid.length} fields need attention.`);
      return;
    }
    if (redirect) {
      // window.open must run in this very event (the user's gesture), before any await.
      openOAuth(integration, params);
      return;
    }
    void submitForm(integration, style, fields, { params, credentials }, { form, submit, controls, showFormError, name });
  });

  const docs = typeof provider.docs === 'string' && /^https?:\/\//.test(provider.docs)
    ? h('p', { class: 'docs' }, h('a', { href: provider.docs, target: '_blank', rel: 'noopener noreferrer' }, `How to find these details in ${name}'s documentation`, h('span', { class: 'visually-hidden' }, ' (opens in a new tab)')))
    : null;
  const reconnecting = state.session?.isReconnecting === true;
  showScreen('form', {
    title: reconnecting ? `Reconnect ${name}` : `Connect ${name}`,
    back: hasList() ? () => showList() : null,
    extra: { 'data-integration': integration.unique_key },
    body: [h('div', { class: 'provider' }, logo(integration)), endUserLine(), h('p', { class: 'guidance' }, guidance(name, style, fields)), docs, form],
  });
}

/** Posts the form to the route the server named for it; the answer is the connection, or an error shown in the form. */
async function submitForm(integration, style, fields, values, ui) {
  const request = formRequest(apiURL, style.route, integration.unique_key, state.token, values.params, values.credentials);
  const generation = state.generation;
  const label = ui.submit.textContent;
  ui.form.dataset.busy = 'true';
  ui.form.setAttribute('aria-busy', 'true');
  ui.submit.disabled = true;
  ui.submit.textContent = 'Connecting\u2026';
  announce('Connecting\u2026');
  try {
    const response = await fetch(request.url, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(request.body) });
    const body = await readJson(response);
    if (generation !== state.generation) return;
    if (response.ok && body && typeof body.connectionId === 'string') {
      succeed(integration, { providerConfigKey: body.providerConfigKey ?? integration.unique_key, connectionId: body.connectionId });
      return;
    }
    const described = describeApiError(body, fields);
    const human = humanError({
      code: described.code,
      name: ui.name,
      credentials: credentialTitles(fields),
      status: response.status,
      errorId: errorIdOf(body),
      hasFieldErrors: Object.keys(described.fieldErrors).length > 0,
    });
    if (human.action === 'restart' || human.action === 'contact') {
      // Nothing in the form can help: the error screen says what to do instead.
      fail({ code: described.code, status: response.status }, { integration, back: human.action === 'contact' && hasList() ? () => showList() : null });
      return;
    }
    const retry = ui.showFormError(human);
    let first = null;
    for (const [fieldName, message] of Object.entries(described.fieldErrors)) {
      ui.controls.get(fieldName)?.showError(message);
      first ??= ui.controls.get(fieldName)?.input ?? null;
    }
    // Keyboard users land on what helps next: the field to correct, or Try again.
    (first ?? retry)?.focus();
  } catch {
    if (generation !== state.generation) return;
    ui.showFormError(humanError(errorOf(null)))?.focus();
  } finally {
    delete ui.form.dataset.busy;
    ui.form.removeAttribute('aria-busy');
    ui.submit.disabled = false;
    ui.submit.textContent = label;
  }
}

// ---------------------------------------------------------------------------------------------
// OAuth popup

function popupFeatures() {
  const width = 600;
  const height = 720;
  const left = Math.max(0, Math.round(window.screenX + (window.outerWidth - width) / 2));
  const top = Math.max(0, Math.round(window.screenY + (window.outerHeight - height) / 2));
  return `popup=yes,width=${width},height=${height},left=${left},top=${top}`;
}

/** Stops watching the popup (the outcome may still come over the WebSocket while `state.awaiting` is set). */
function stopOAuth() {
  const flow = state.oauth;
  if (!flow) return;
  flow.done = true;
  window.clearInterval(flow.timer);
  state.oauth = null;
}

/** Nothing more is expected: stop watching, drop the awaited integration, close the socket. */
function finishOAuth() {
  stopOAuth();
  state.awaiting = null;
  closeSocket();
}

/** Opens the provider's consent page in a popup; standalone falls back to a full-page redirect when popups are blocked. */
function openOAuth(integration, params) {
  stopOAuth();
  state.awaiting = { integration, params };
  const url = oauthUrl(apiURL, integration.unique_key, state.token, params, state.wsClientId);
  const popup = window.open(url, 'custodian-oauth', popupFeatures());
  if (!popup) {
    if (!embedded) {
      // The callback page shows the outcome when it has no opener.
      showLoading(`Redirecting to ${integration.display_name || integration.unique_key}\u2026`);
      window.location.assign(url);
      return;
    }
    showOAuthWait(integration, params, 'blocked');
    return;
  }
  const flow = { popup, integration, done: false, timer: 0 };
  flow.timer = window.setInterval(() => {
    if (!popup.closed || flow.done) return;
    window.clearInterval(flow.timer);
    // The callback page posts its message just before closing itself: give it a moment to arrive.
    window.setTimeout(() => {
      if (flow.done || state.oauth !== flow) return;
      stopOAuth();
      if (detectClosedAuthWindow) {
        finishOAuth();
        oauthError('window_closed', { integration, params });
      } else {
        showOAuthWait(integration, params, 'closed');
      }
    }, 750);
  }, 400);
  state.oauth = flow;
  showOAuthWait(integration, params, 'waiting');
}

function showOAuthWait(integration, params, status) {
  const name = integration.display_name || integration.unique_key;
  const back = () => {
    const flow = state.oauth;
    finishOAuth();
    try {
      flow?.popup.close();
    } catch {
      // the popup may already be gone
    }
    void openIntegration(integration, hasList());
  };
  const retry = h('button', { type: 'button', class: status === 'waiting' ? 'secondary' : 'primary', 'data-action': 'open-popup', onclick: () => openOAuth(integration, params) },
    status === 'waiting' ? 'Reopen the window' : `Open the ${name} window`);
  const copy = {
    waiting: [`Finish in the ${name} window`, `A window has opened for you to sign in to ${name}. This page updates when you are done.`],
    blocked: ['Allow the pop-up window', `Your browser blocked the window where you sign in to ${name}. Open it with the button below.`],
    closed: ['The window was closed', `If you finished connecting in that window, you are done. Otherwise, open it again.`],
  }[status];
  showScreen('oauth-wait', {
    title: copy[0],
    back,
    busy: status === 'waiting',
    extra: { 'data-state': status, 'data-integration': integration.unique_key },
    body: [status === 'waiting' ? h('div', { class: 'spinner', 'aria-hidden': 'true' }) : null, h('p', {}, copy[1]), h('div', { class: 'actions' }, retry)],
  });
}

// ---------------------------------------------------------------------------------------------
// Outcomes

function succeed(integration, result) {
  postToParent({ type: 'connect', payload: { providerConfigKey: result.providerConfigKey, connectionId: result.connectionId, isPending: false } });
  const name = integration.display_name || integration.unique_key;
  showScreen('success', {
    title: state.session?.isReconnecting ? `${name} reconnected` : `${name} connected`,
    extra: { 'data-integration': integration.unique_key, 'data-connection-id': result.connectionId },
    body: [
      h('div', { class: 'badge success', 'aria-hidden': 'true' }, '\u2713'),
      h('p', {}, embedded ? 'You can now close this window.' : 'You can now close this page.'),
      embedded ? h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', 'data-action': 'done', onclick: closeUI }, 'Done')) : null,
    ],
  });
}

/**
 * The error screen for `facts` (`{code, status?, errorId?}`) in words the end user understands (error-messages.js).
 * `retry` becomes a Try again button only when trying again can help; `back` a Back button. The parent window
 * (embedded mode) gets the code as `errorType`, so @nangohq/frontend consumers still branch on it. Returns what was shown.
 */
function fail(facts, { integration = null, retry = null, back = null } = {}) {
  const provider = integration ? state.providers.get(integration.provider) : null;
  const human = humanError({ ...facts, name: integration ? nameOf(integration, provider) : null });
  postToParent({ type: 'error', payload: { errorType: human.code, errorMessage: human.message } });
  const tryAgain = human.retryable ? retry : null;
  showScreen('error', {
    title: human.title,
    // After "start again from the app" there is nothing here to go back to.
    back: human.action === 'restart' ? null : back,
    extra: { 'data-error-type': human.code, 'data-error-action': human.action },
    body: [
      h('div', { class: 'badge failure', 'aria-hidden': 'true' }, '!'),
      h('p', { class: 'error-message', role: 'alert' }, human.message),
      human.detail ? h('p', { class: 'error-detail', 'data-error-detail': '' }, human.detail) : null,
      tryAgain ? h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', 'data-action': 'retry', onclick: tryAgain }, 'Try again')) : null,
    ],
  });
  return human;
}

// ---------------------------------------------------------------------------------------------
// Start

async function start(token) {
  finishOAuth();
  state.token = token;
  state.providers.clear();
  const generation = ++state.generation;
  showLoading();
  try {
    const [session, integrations] = await Promise.all([apiGet('/connect/session'), apiGet('/integrations')]);
    if (generation !== state.generation) return;
    state.session = session.data;
    applyTheme();
    showBrand(state.session.connectUISettings?.logoUrl);
    const allowed = Array.isArray(state.session.allowed_integrations) ? state.session.allowed_integrations : null;
    state.integrations = (integrations.data ?? []).filter((i) => !allowed || allowed.includes(i.unique_key));
    if (state.integrations.length === 1 || (state.session.isReconnecting && state.integrations.length > 0)) {
      await openIntegration(state.integrations[0], false);
    } else {
      showList();
    }
  } catch (error) {
    if (generation !== state.generation) return;
    fail(errorOf(error), { retry: () => void start(token) });
  }
}

applyTheme();
const queryToken = query.get('session_token');
if (queryToken) {
  void start(queryToken);
  postToParent({ type: 'ready' });
} else if (embedded) {
  showLoading();
  postToParent({ type: 'ready' });
} else {
  fail({ code: 'missing_session_token' });
}
