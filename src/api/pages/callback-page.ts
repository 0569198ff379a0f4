/**
 * The page the OAuth popup lands on (API.md §4): it posts the outcome to `window.opener` in Nango's
 * message format and closes itself. Without an opener (redirect fallback) it shows the outcome.
 */

export type CallbackOutcome =
  | { ok: true; providerConfigKey: string; connectionId: string }
  | { ok: false; errorType: string; message: string; providerConfigKey?: string; connectionId?: string };

/** Safe to embed in a `<script>`: no `<`, `>`, `&` or line separators survive as themselves. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function callbackMessage(outcome: CallbackOutcome): Record<string, unknown> {
  return outcome.ok
    ? { type: 'nango_oauth_callback_success', payload: { providerConfigKey: outcome.providerConfigKey, connectionId: outcome.connectionId } }
    : { type: 'nango_oauth_callback_error', payload: { message: outcome.message, errorType: outcome.errorType } };
}

/** The whole HTML document. */
export function renderCallbackPage(outcome: CallbackOutcome): string {
  const title = outcome.ok ? 'Connected' : 'Connection failed';
  const text = outcome.ok ? 'You can close this window.' : outcome.message;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;display:grid;place-items:center;min-height:100vh;margin:0}main{max-width:28rem;padding:2rem;text-align:center}</style>
</head><body><main role="status"><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></main>
<script>
(function () {
  var message = ${scriptJson(callbackMessage(outcome))};
  if (window.opener) {
    try { window.opener.postMessage(message, '*'); } catch (e) {}
    window.close();
  }
})();
</script></body></html>`;
}
