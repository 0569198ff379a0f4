/** The demo provider's consent page: who asks, for what, and two buttons (Authorize, Deny). */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** The page, carrying the authorization request's parameters as hidden fields of its form. */
export function authorizePage(params: Record<string, string>, user: { name: string; email: string }): string {
  const hidden = Object.entries(params)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('\n      ');
  const scope = params.scope ? escapeHtml(params.scope) : '(none)';
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Custodian demo provider: authorize</title>
  <style>
    body { font: 16px/1.5 system-ui, sans-serif; max-width: 28rem; margin: 3rem auto; padding: 0 1rem; color: #1f2328; }
    .card { border: 1px solid #d0d7de; border-radius: 8px; padding: 1.5rem; }
    h1 { font-size: 1.25rem; margin-top: 0; }
    .muted { color: #59636e; font-size: 0.875rem; }
    button { font: inherit; padding: 0.5rem 1rem; border-radius: 6px; border: 1px solid #d0d7de; cursor: pointer; margin-right: 0.5rem; }
    button[value="allow"] { background: #1f883d; color: #fff; border-color: #1f883d; }
  </style>
</head>
<body>
  <main class="card">
    <h1>Authorize the Custodian demo app?</h1>
    <p>Signed in as <strong>${escapeHtml(user.name)}</strong> (${escapeHtml(user.email)}).</p>
    <p>It asks for: <code>${scope}</code>. Its tokens expire after a few minutes, so you can watch Custodian refresh them.</p>
    <form method="post" action="/oauth/authorize">
      ${hidden}
      <button type="submit" name="decision" value="allow">Authorize</button>
      <button type="submit" name="decision" value="deny">Deny</button>
    </form>
    <p class="muted">This is the demo OAuth 2.0 provider of <code>npm run dev</code>; no real account is involved.</p>
  </main>
</body>
</html>
`;
}
