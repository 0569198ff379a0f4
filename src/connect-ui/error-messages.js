/**
 * What the Connect UI tells the end user about an error (pure: no DOM, no network). An error code
 * (API.md §0's envelope, an OAuth callback's `errorType`, or one of the page's own) becomes a
 * sentence naming the provider, a short heading, and what the user can do about it:
 *
 * - `retry`: trying again can help (a provider or a dependency was down, the sign-in was interrupted);
 *   the page offers "Try again".
 * - `fix`: the details entered were refused; the form stays so they can be corrected.
 * - `restart`: this page cannot go on (the link expired, the integration is not allowed here); the
 *   user starts again from the app.
 * - `contact`: a set-up problem the user cannot solve; the app's support can.
 *
 * The sentences are plain text (the page inserts them with textContent) and never contain a raw
 * code: the code stays in `data-error-type` and in the `errorType` posted to the parent window.
 */

const TRY_LATER = 'Try again in a moment.';
const START_AGAIN = 'Go back to the app and start again.';

/**
 * How the end user's credentials are named in a sentence, from the titles of the form's visible
 * credential fields: `{what: 'this API key', pronoun: 'it'}`, `this username and password`, or
 * `these details` for three or more (`these credentials` when there are none).
 */
export function credentialWords(titles) {
  if (!Array.isArray(titles)) return { what: 'these credentials', pronoun: 'them' };
  const words = titles.filter((title) => typeof title === 'string' && title !== '').map(inSentence);
  if (words.length === 0) return { what: 'these credentials', pronoun: 'them' };
  if (words.length === 1) return { what: `this ${words[0]}`, pronoun: 'it' };
  if (words.length === 2) return { what: `this ${words[0]} and ${words[1]}`, pronoun: 'them' };
  return { what: 'these details', pronoun: 'them' };
}

/** A title inside a sentence: "Username" → "username", but "API key" and "ID" stay as they are. */
function inSentence(title) {
  return /^[A-Z][a-z]/.test(title) ? title[0].toLowerCase() + title.slice(1) : title;
}

function refused(name, { credentials }) {
  const { what, pronoun } = credentialWords(credentials);
  return { title: 'Connection failed', message: `${name} did not accept ${what}. Check ${pronoun} and try again.`, action: 'fix' };
}

function unreachable(name) {
  return { title: `${name} could not be reached`, message: `We could not reach ${name}. ${TRY_LATER}`, action: 'retry' };
}

function unavailable() {
  // No product name: the page carries no branding of its own (README, Connect UI).
  return { title: 'Temporarily unavailable', message: `The connection service is temporarily unavailable. ${TRY_LATER}`, action: 'retry' };
}

function rateLimited() {
  return { title: 'Too many attempts', message: 'There have been too many attempts in a short time. Wait a minute, then try again.', action: 'retry' };
}

function invalidDetails(name, { hasFieldErrors }) {
  return {
    title: 'Check the details',
    message: hasFieldErrors ? `${name} needs some of these details corrected. Check the highlighted fields and try again.` : `Some of these details are not valid for ${name}. Check them and try again.`,
    action: 'fix',
  };
}

function expiredLink() {
  return { title: 'This link has expired', message: `This connection link has expired or is not valid. ${START_AGAIN}`, action: 'restart' };
}

function signInExpired(name) {
  return { title: 'The sign-in expired', message: `The sign-in with ${name} expired or could not be verified. Try again to start a new one.`, action: 'retry' };
}

function serverError() {
  return { title: 'Something went wrong', message: 'Something went wrong on our side. Try again, and if it keeps happening, contact support.', action: 'retry' };
}

function notSetUp(name) {
  return { title: 'Not available', message: `${name} is not set up for connecting yet. Contact the app's support.`, action: 'contact' };
}

/** One entry per known code: `(name, context) => {title, message, action}`. */
const BY_CODE = {
  // A provider or a dependency down (API.md §0: 502, 503, 504).
  provider_unreachable: unreachable,
  provider_timeout: (name) => ({ title: `${name} could not be reached`, message: `We could not reach ${name} in time. ${TRY_LATER}`, action: 'retry' }),
  provider_malformed_response: (name) => ({ title: `${name} could not be reached`, message: `${name} sent an answer we could not read. ${TRY_LATER}`, action: 'retry' }),
  provider_rate_limited: (name) => ({ title: 'Too many attempts', message: `${name} is receiving too many requests right now. Wait a minute, then try again.`, action: 'retry' }),
  database_unavailable: unavailable,
  temporal_unavailable: unavailable,
  service_unavailable: unavailable,
  authorization_pending: (name) => ({ title: `${name} is slow to answer`, message: `${name} is taking longer than usual to answer. ${TRY_LATER}`, action: 'retry' }),
  rate_limited: rateLimited,
  too_many_requests: rateLimited,
  server_error: serverError,
  // The fetch itself failed (the page's own codes).
  network_error: () => ({ title: 'No connection', message: 'We could not reach the server. Check your internet connection and try again.', action: 'retry' }),
  offline: () => ({ title: 'You are offline', message: 'You appear to be offline. Check your internet connection and try again.', action: 'retry' }),

  // The provider refused what was entered.
  connection_test_failed: refused,
  invalid_credentials: refused,
  credentials_rejected: refused,
  provider_rejected: refused,

  // What was entered is not valid.
  invalid_body: invalidDetails,
  invalid_query_params: invalidDetails,
  invalid_uri_params: invalidDetails,
  invalid_connection_config: invalidDetails,
  missing_connection_config: invalidDetails,
  payload_too_large: () => ({ title: 'Check the details', message: 'What you entered is too long. Shorten it and try again.', action: 'fix' }),

  // This page cannot go on.
  unknown_connect_session_token: expiredLink,
  invalid_connect_session_token_format: expiredLink,
  missing_session_token: () => ({ title: 'This link is incomplete', message: `This page needs a connection link from the app. ${START_AGAIN}`, action: 'restart' }),
  // A value the app pinned for this connection was changed (a tampered link, or the provider returned another account).
  pinned_by_session: (name) => ({ title: 'Details do not match', message: `The app set some details of this ${name} connection, and they cannot be changed. ${START_AGAIN}`, action: 'restart' }),
  integration_not_allowed: (name) => ({ title: 'Not available', message: `This link does not allow connecting ${name}. ${START_AGAIN}`, action: 'restart' }),
  // The integration (or its provider) is gone: other integrations of the list may still work.
  unknown_provider_config: (name) => ({ title: 'Not available', message: `${name} cannot be connected right now. Contact the app's support.`, action: 'contact' }),
  not_found: (name) => ({ title: 'Not available', message: `${name} cannot be connected right now. Contact the app's support.`, action: 'contact' }),
  integration_missing_client: notSetUp,
  unknown_provider: notSetUp,
  invalid_auth_mode: (name) => ({ title: 'Not available', message: `${name} cannot be connected from this page. Contact the app's support.`, action: 'contact' }),

  // OAuth: the popup and the callback (API.md §4).
  authorization_denied: (name) => ({ title: 'Access declined', message: `You declined access to ${name}. To connect, try again and allow access.`, action: 'retry' }),
  access_denied: (name) => ({ title: 'Access declined', message: `You declined access to ${name}. To connect, try again and allow access.`, action: 'retry' }),
  window_closed: (name) => ({ title: 'The window was closed', message: `The ${name} window was closed before the connection was made. Try again to reopen it.`, action: 'retry' }),
  invalid_state: signInExpired,
  // The callback reached a browser that did not start this sign-in (its binding cookie is missing).
  callback_not_bound: (name) => ({ title: 'The sign-in could not be verified', message: `The sign-in with ${name} was started in another browser. Try again here to start a new one.`, action: 'retry' }),
  missing_code: signInExpired,
  missing_code_challenge: signInExpired,
  missing_verifier: signInExpired,
  missing_request_token: signInExpired,
  authorization_timeout: (name) => ({ title: 'The sign-in expired', message: `The sign-in with ${name} took too long and expired. Try again to start a new one.`, action: 'retry' }),
  request_token_failed: (name) => ({ title: 'Connection failed', message: `${name} could not start the sign-in. ${TRY_LATER}`, action: 'retry' }),
  token_request_not_sent: (name) => ({ title: 'Connection failed', message: `The connection to ${name} could not be completed. ${TRY_LATER}`, action: 'retry' }),
  authorization_failed: (name) => ({ title: 'Connection failed', message: `The connection to ${name} could not be made. Try again.`, action: 'retry' }),
};

/** Codes this module has a sentence for (the unit tests go through every one). */
export const KNOWN_ERROR_CODES = Object.freeze(Object.keys(BY_CODE));

/** An unknown code still reads as a sentence; the HTTP status, when there is one, says what can help. */
function fallback(name, status) {
  if (status === 401) return expiredLink();
  if (status === 413) return BY_CODE.payload_too_large();
  if (status === 429) return rateLimited();
  // Without a known code a 502/503/504 may come from a proxy in front of the API as well as from a provider.
  if (status === 502 || status === 503 || status === 504) return unavailable();
  if (typeof status === 'number' && status >= 500) return serverError();
  if (typeof status === 'number' && status >= 400) {
    return { title: 'Connection failed', message: `The connection to ${name} could not be made. Check the details and try again.`, action: 'fix' };
  }
  // No status: an OAuth outcome (popup or WebSocket); a new sign-in may succeed.
  return { title: 'Connection failed', message: `The connection to ${name} could not be made. Try again, and if it keeps happening, contact support.`, action: 'retry' };
}

/** Stands in for a missing display name. */
const NO_NAME = 'the provider';

/** The display name as one line of plain text (never markup), or a neutral noun when there is none. */
function displayName(raw) {
  const name = typeof raw === 'string' ? raw.replace(/\s+/g, ' ').trim() : '';
  if (name === '') return NO_NAME;
  return name.length > 80 ? `${name.slice(0, 79)}\u2026` : name;
}

/** A sentence or heading that starts with the stand-in noun starts with a capital (a real name is kept as written: "iCloud"). */
function capitalized(text, name) {
  return name === NO_NAME && text.startsWith(NO_NAME) ? `T${text.slice(1)}` : text;
}

/** A server error's id as support needs it (UUID-like; anything else is not shown). */
function supportReference(errorId) {
  return typeof errorId === 'string' && /^[A-Za-z0-9-]{1,64}$/.test(errorId) ? `Reference for support: ${errorId}` : null;
}

/**
 * The human side of an error: `{code, title, message, action, retryable, detail}`.
 * `error`: `{code, name (the integration's display name), credentials? (the titles of the credential fields
 * the end user typed, see credentialWords), status? (HTTP), errorId?, hasFieldErrors?}`.
 * `detail` is small print (the error id of a server error), or null.
 */
export function humanError(error) {
  const code = typeof error?.code === 'string' && error.code !== '' ? error.code : 'unknown_error';
  const name = displayName(error?.name);
  const status = typeof error?.status === 'number' ? error.status : null;
  const known = Object.prototype.hasOwnProperty.call(BY_CODE, code) ? BY_CODE[code] : null;
  const result = known ? known(name, { credentials: error?.credentials ?? null, hasFieldErrors: error?.hasFieldErrors === true }) : fallback(name, status);
  return {
    code,
    title: capitalized(result.title, name),
    message: capitalized(result.message, name),
    action: result.action,
    retryable: result.action === 'retry',
    detail: code === 'server_error' || (!known && status !== null && status >= 500) ? supportReference(error?.errorId) : null,
  };
}

/** The `payload.error_id` of an API error envelope (server errors carry one), or null. */
export function errorIdOf(body) {
  const id = body?.error?.payload?.error_id;
  return typeof id === 'string' ? id : null;
}
