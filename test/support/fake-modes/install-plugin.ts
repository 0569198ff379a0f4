/**
 * The fake provider's plugin-install endpoints, like Crisp's: `GET /plugin/install` (the install link)
 * sends the browser back to the `redirect` it was configured with, passing `payload` through and adding
 * the `website_id` it was installed on; `GET /plugin/verify` accepts the plugin's identifier and key as
 * HTTP Basic with `x-crisp-tier: plugin`.
 */
import type { FakeProvider } from '../fake-provider';

export interface FakePluginOptions {
  readonly identifier: string;
  readonly key: string;
  /** Where the install returns the browser (our callback URL). */
  redirect: string;
  readonly websiteId: string;
}

export interface FakePlugin {
  readonly installs: string[];
  readonly verdicts: Array<'valid' | 'wrong_tier' | 'refused'>;
}

/** Mounts the install link and the check; the plugin key is registered as a secret. */
export function mountFakePlugin(provider: FakeProvider, options: FakePluginOptions): FakePlugin {
  const state: FakePlugin = { installs: [], verdicts: [] };
  provider.rememberSecrets(options.key);
  provider.mount('GET', '/plugin/install', ({ url }) => {
    const payload = url.searchParams.get('payload') ?? '';
    state.installs.push(payload);
    const back = new URL(options.redirect);
    back.searchParams.set('payload', payload);
    back.searchParams.set('website_id', options.websiteId);
    return { status: 302, headers: { location: back.toString() } };
  });
  provider.mount('GET', '/plugin/verify', ({ req }) => {
    const expected = `Basic ${Buffer.from(`${options.identifier}:${options.key}`).toString('base64')}`;
    const verdict = req.headers['x-crisp-tier'] !== 'plugin' ? 'wrong_tier' : req.headers.authorization === expected ? 'valid' : 'refused';
    state.verdicts.push(verdict);
    return verdict === 'valid' ? { status: 200, body: { error: false, reason: 'resolved', data: {} } } : { status: 401, body: { error: true, reason: 'unauthorized' } };
  });
  return state;
}
