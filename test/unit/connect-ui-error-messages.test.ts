import { expect } from 'chai';
import { KNOWN_ERROR_CODES, credentialWords, errorIdOf, humanError, type ErrorAction } from '../../src/connect-ui/error-messages.js';

/** A raw code or auth mode as text: two word characters joined by an underscore. */
const SNAKE_CASE = /[A-Za-z0-9]_[A-Za-z0-9]/;

describe('Connect UI error messages (src/connect-ui/error-messages.js)', () => {
  const cases: Array<{ code: string; status?: number; credentials?: string[]; hasFieldErrors?: boolean; message: string; action: ErrorAction }> = [
    { code: 'provider_unreachable', status: 502, credentials: ['API key'], message: 'We could not reach OpenAI. Try again in a moment.', action: 'retry' },
    { code: 'provider_timeout', status: 504, credentials: ['API key'], message: 'We could not reach OpenAI in time. Try again in a moment.', action: 'retry' },
    { code: 'provider_malformed_response', status: 502, message: 'OpenAI sent an answer we could not read. Try again in a moment.', action: 'retry' },
    { code: 'provider_rate_limited', status: 429, message: 'OpenAI is receiving too many requests right now. Wait a minute, then try again.', action: 'retry' },
    { code: 'database_unavailable', status: 503, message: 'The connection service is temporarily unavailable. Try again in a moment.', action: 'retry' },
    { code: 'temporal_unavailable', status: 503, message: 'The connection service is temporarily unavailable. Try again in a moment.', action: 'retry' },
    { code: 'authorization_pending', status: 503, message: 'OpenAI is taking longer than usual to answer. Try again in a moment.', action: 'retry' },
    { code: 'rate_limited', status: 429, message: 'There have been too many attempts in a short time. Wait a minute, then try again.', action: 'retry' },
    { code: 'server_error', status: 500, message: 'Something went wrong on our side. Try again, and if it keeps happening, contact support.', action: 'retry' },
    { code: 'network_error', message: 'We could not reach the server. Check your internet connection and try again.', action: 'retry' },
    { code: 'offline', message: 'You appear to be offline. Check your internet connection and try again.', action: 'retry' },
    { code: 'connection_test_failed', status: 400, credentials: ['API key'], message: 'OpenAI did not accept this API key. Check it and try again.', action: 'fix' },
    { code: 'connection_test_failed', status: 400, credentials: ['Username', 'Password'], message: 'OpenAI did not accept this username and password. Check them and try again.', action: 'fix' },
    { code: 'connection_test_failed', status: 400, credentials: ['Client ID', 'Client secret'], message: 'OpenAI did not accept this client ID and client secret. Check them and try again.', action: 'fix' },
    { code: 'connection_test_failed', status: 400, credentials: ['Client email', 'Private key', 'Token URI'], message: 'OpenAI did not accept these details. Check them and try again.', action: 'fix' },
    { code: 'connection_test_failed', status: 400, message: 'OpenAI did not accept these credentials. Check them and try again.', action: 'fix' },
    { code: 'invalid_credentials', status: 400, credentials: ['Private key'], message: 'OpenAI did not accept this private key. Check it and try again.', action: 'fix' },
    { code: 'invalid_body', status: 400, hasFieldErrors: true, message: 'OpenAI needs some of these details corrected. Check the highlighted fields and try again.', action: 'fix' },
    { code: 'invalid_body', status: 400, message: 'Some of these details are not valid for OpenAI. Check them and try again.', action: 'fix' },
    { code: 'invalid_connection_config', status: 400, hasFieldErrors: true, message: 'OpenAI needs some of these details corrected. Check the highlighted fields and try again.', action: 'fix' },
    { code: 'invalid_query_params', status: 400, message: 'Some of these details are not valid for OpenAI. Check them and try again.', action: 'fix' },
    { code: 'payload_too_large', status: 413, message: 'What you entered is too long. Shorten it and try again.', action: 'fix' },
    { code: 'unknown_connect_session_token', status: 401, message: 'This connection link has expired or is not valid. Go back to the app and start again.', action: 'restart' },
    { code: 'invalid_connect_session_token_format', status: 401, message: 'This connection link has expired or is not valid. Go back to the app and start again.', action: 'restart' },
    { code: 'missing_session_token', message: 'This page needs a connection link from the app. Go back to the app and start again.', action: 'restart' },
    { code: 'pinned_by_session', status: 400, message: 'The app set some details of this OpenAI connection, and they cannot be changed. Go back to the app and start again.', action: 'restart' },
    { code: 'integration_not_allowed', status: 400, message: 'This link does not allow connecting OpenAI. Go back to the app and start again.', action: 'restart' },
    { code: 'not_found', status: 404, message: "OpenAI cannot be connected right now. Contact the app's support.", action: 'contact' },
    { code: 'invalid_auth_mode', status: 400, message: "OpenAI cannot be connected from this page. Contact the app's support.", action: 'contact' },
    { code: 'integration_missing_client', status: 400, message: "OpenAI is not set up for connecting yet. Contact the app's support.", action: 'contact' },
    { code: 'authorization_denied', message: 'You declined access to OpenAI. To connect, try again and allow access.', action: 'retry' },
    { code: 'access_denied', message: 'You declined access to OpenAI. To connect, try again and allow access.', action: 'retry' },
    { code: 'window_closed', message: 'The OpenAI window was closed before the connection was made. Try again to reopen it.', action: 'retry' },
    { code: 'invalid_state', message: 'The sign-in with OpenAI expired or could not be verified. Try again to start a new one.', action: 'retry' },
    { code: 'callback_not_bound', message: 'The sign-in with OpenAI was started in another browser. Try again here to start a new one.', action: 'retry' },
    { code: 'missing_code_challenge', message: 'The sign-in with OpenAI expired or could not be verified. Try again to start a new one.', action: 'retry' },
    { code: 'missing_verifier', message: 'The sign-in with OpenAI expired or could not be verified. Try again to start a new one.', action: 'retry' },
    { code: 'authorization_timeout', message: 'The sign-in with OpenAI took too long and expired. Try again to start a new one.', action: 'retry' },
    { code: 'authorization_failed', message: 'The connection to OpenAI could not be made. Try again.', action: 'retry' },
  ];
  for (const c of cases) {
    const context = [c.status, c.credentials?.join(' + '), c.hasFieldErrors ? 'with field errors' : null].filter((x) => x !== undefined && x !== null).join(', ');
    it(`${c.code}${context ? ` (${context})` : ''} → "${c.message}" (${c.action})`, () => {
      const human = humanError({ code: c.code, name: 'OpenAI', status: c.status, credentials: c.credentials, hasFieldErrors: c.hasFieldErrors });
      expect(human).to.deep.include({ code: c.code, message: c.message, action: c.action, retryable: c.action === 'retry' });
    });
  }

  it('shows a server error id as small print for support, and no small print for other errors', () => {
    const id = '1b4e28ba-2fa1-41d2-883f-0016d3cca427';
    expect(humanError({ code: 'server_error', status: 500, errorId: id }).detail).to.equal(`Reference for support: ${id}`);
    expect(humanError({ code: 'server_error', status: 500 }).detail).to.equal(null);
    expect(humanError({ code: 'server_error', status: 500, errorId: '<b>not an id</b>' }).detail, 'only id-shaped references').to.equal(null);
    expect(humanError({ code: 'provider_unreachable', status: 502, errorId: id }).detail).to.equal(null);
    expect(errorIdOf({ error: { code: 'server_error', message: 'An unexpected error occurred', payload: { error_id: id } } })).to.equal(id);
    expect(errorIdOf({ error: { code: 'invalid_body' } })).to.equal(null);
    expect(errorIdOf(null)).to.equal(null);
  });

  it('turns an unknown code into a sentence chosen by the HTTP status, never showing the code', () => {
    const unknown = (status?: number) => humanError({ code: 'some_new_code', name: 'OpenAI', status });
    expect(unknown(401)).to.deep.include({ code: 'some_new_code', action: 'restart', message: 'This connection link has expired or is not valid. Go back to the app and start again.' });
    expect(unknown(429)).to.deep.include({ action: 'retry', message: 'There have been too many attempts in a short time. Wait a minute, then try again.' });
    expect(unknown(502)).to.deep.include({ action: 'retry', message: 'The connection service is temporarily unavailable. Try again in a moment.' });
    expect(unknown(500)).to.deep.include({ action: 'retry', message: 'Something went wrong on our side. Try again, and if it keeps happening, contact support.' });
    expect(unknown(422)).to.deep.include({ action: 'fix', message: 'The connection to OpenAI could not be made. Check the details and try again.' });
    expect(unknown()).to.deep.include({ action: 'retry', message: 'The connection to OpenAI could not be made. Try again, and if it keeps happening, contact support.' });
    expect(humanError({ code: 'odd_code', status: 503, errorId: 'abc-123' }).detail, 'an unknown 5xx keeps its reference').to.equal('Reference for support: abc-123');
    expect(humanError({}).code, 'no code at all').to.equal('unknown_error');
  });

  it('names the credentials from the titles of the fields the end user typed, whatever the auth mode', () => {
    expect(credentialWords(['API key'])).to.deep.equal({ what: 'this API key', pronoun: 'it' });
    expect(credentialWords(['Username', 'Password'])).to.deep.equal({ what: 'this username and password', pronoun: 'them' });
    expect(credentialWords(['Private key'])).to.deep.equal({ what: 'this private key', pronoun: 'it' });
    expect(credentialWords(['ID', 'PEM key'])).to.deep.equal({ what: 'this ID and PEM key', pronoun: 'them' });
    expect(credentialWords(['A', 'B', 'C'])).to.deep.equal({ what: 'these details', pronoun: 'them' });
    expect(credentialWords([])).to.deep.equal({ what: 'these credentials', pronoun: 'them' });
    expect(credentialWords(null)).to.deep.equal({ what: 'these credentials', pronoun: 'them' });
  });

  it('puts no raw code in any title, sentence or small print, for every known code, set of credentials and status', () => {
    const codes = [...KNOWN_ERROR_CODES, 'unknown_error', 'brand_new_code'];
    for (const code of codes) {
      for (const credentials of [['API key'], ['Username', 'Password'], ['Client ID', 'Client secret'], ['Private key', 'Key ID', 'Issuer'], [], null]) {
        for (const status of [undefined, 400, 401, 404, 413, 429, 500, 502, 503, 504]) {
          for (const name of ['Acme CRM', null]) {
            const human = humanError({ code, name, credentials, status, errorId: 'e-1', hasFieldErrors: status === 400 });
            const where = `${code} ${String(credentials)} ${status} ${name}`;
            for (const text of [human.title, human.message, human.detail ?? '']) expect(text, where).to.not.match(SNAKE_CASE);
            expect(human.message, `${where}: a sentence`).to.match(/^[A-Z].*\.$/);
            expect(human.title, `${where}: a heading`).to.match(/^[A-Z]\S*( \S+)*$/);
          }
        }
      }
    }
  });

  it('has its own sentence for each code the API, the OAuth callback and the page produce (KNOWN_ERROR_CODES)', () => {
    expect(KNOWN_ERROR_CODES).to.include.members([
      'provider_unreachable', 'provider_timeout', 'connection_test_failed', 'invalid_credentials', 'database_unavailable', 'temporal_unavailable',
      'unknown_connect_session_token', 'integration_not_allowed', 'invalid_body', 'payload_too_large', 'authorization_pending', 'access_denied',
      'authorization_denied', 'window_closed', 'invalid_state', 'callback_not_bound', 'rate_limited', 'server_error', 'network_error', 'offline',
    ]);
  });

  it('interpolates the display name as plain text: markup stays literal characters, whitespace is one line, long names are cut', () => {
    const markup = '<img src=x onerror="alert(1)"> & Co';
    const human = humanError({ code: 'provider_unreachable', name: markup, status: 502 });
    expect(human.message).to.equal(`We could not reach ${markup}. Try again in a moment.`);
    expect(human.message, 'not escaped into entities either: the page inserts it with textContent').to.not.contain('&lt;');
    expect(humanError({ code: 'provider_unreachable', name: '  Open\n\tAI  ' }).message).to.equal('We could not reach Open AI. Try again in a moment.');
    expect(humanError({ code: 'provider_unreachable', name: 'x'.repeat(200) }).message).to.equal(`We could not reach ${'x'.repeat(79)}\u2026. Try again in a moment.`);
    expect(humanError({ code: 'provider_unreachable', name: null }).message).to.equal('We could not reach the provider. Try again in a moment.');
    expect(humanError({ code: 'provider_unreachable', name: '   ' }).message).to.equal('We could not reach the provider. Try again in a moment.');
  });
});
