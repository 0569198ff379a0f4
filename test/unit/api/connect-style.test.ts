import { expect } from 'chai';
import { z } from 'zod';
import type { ConnectStyle } from '../../../providers/auth-modes';
import type { ProviderEntry } from '../../../providers/catalog-schema';
import { loadCatalog } from '../../../providers/load-catalog';
import { connectView, formCredentials, presentConnect, routeTemplate } from '../../../src/api/presenters/connect-style';

const entry = (fields: Record<string, unknown>) => ({ display_name: 'X', auth_mode: 'API_KEY', ...fields }) as unknown as ProviderEntry;

describe("The Connect UI's connect style (src/api/presenters/connect-style.ts)", () => {
  it("derives redirect or form from the mode's strategy, for every entry of the catalog", () => {
    const catalog = loadCatalog();
    const kinds = new Map<string, Set<string>>();
    for (const { name, entry: e } of catalog.list()) {
      const view = presentConnect(e);
      expect(view, name).to.not.equal(null);
      kinds.set(e.auth_mode, (kinds.get(e.auth_mode) ?? new Set()).add(view!.kind === 'form' ? `form ${view!.route}` : view!.kind));
    }
    expect(Object.fromEntries([...kinds].map(([mode, set]) => [mode, [...set]]))).to.deep.include({
      OAUTH2: ['redirect'],
      API_KEY: ['form /api-auth/api-key/{key}'],
      BASIC: ['form /api-auth/basic/{key}'],
    });
  });

  it("a form's credentials: the body's declared fields titled by its metadata, the catalog's schema over them, the catalog's extra fields after", () => {
    const body = z.object({
      apiKey: z.string().min(1).meta({ title: 'API key', secret: true }),
      region: z.string().optional().meta({ title: 'Region', description: 'Where your account lives' }),
      bare: z.string(),
      count: z.number(),
    });
    const fields = formCredentials(
      entry({ credentials: { apiKey: { type: 'string', title: 'Personal token', description: 'From your settings', pattern: '^tok_' }, extra: { type: 'string', title: 'Extra', secret: true } } }),
      body,
    );
    expect(fields).to.deep.equal({
      apiKey: { type: 'string', title: 'Personal token', secret: true, description: 'From your settings', pattern: '^tok_' },
      region: { type: 'string', title: 'Region', description: 'Where your account lives', optional: true },
      bare: { type: 'string', title: 'bare' },
      extra: { type: 'string', title: 'Extra', secret: true },
    });
  });

  it("the catalog says whether a field it has may be left out; automated fields are nobody's to type", () => {
    const body = z.object({ password: z.string().optional().meta({ title: 'Password', secret: true }), token: z.string() });
    const fields = formCredentials(entry({ credentials: { password: { type: 'string', title: 'Secret key' }, token: { type: 'string', title: 'Token', automated: true } } }), body);
    expect(fields).to.deep.equal({ password: { type: 'string', title: 'Secret key', secret: true } });
  });

  it('a body that is a map of any keys (TWO_STEP-like) declares nothing: the fields are the catalog entry\'s, multi-line private key included', () => {
    const style: ConnectStyle = { kind: 'form', routes: ['/auth/two-step/:providerConfigKey'], body: z.record(z.string(), z.string()) };
    const privateKey = { type: 'string', title: 'Private key', secret: true, multiline: true };
    const view = connectView(entry({ auth_mode: 'TWO_STEP', credentials: { clientEmail: { type: 'string', title: 'Client email', format: 'email' }, privateKey } }), style);
    expect(view).to.deep.equal({
      kind: 'form',
      route: '/auth/two-step/{key}',
      credentials: { clientEmail: { type: 'string', title: 'Client email', format: 'email' }, privateKey },
      sections: {},
    });
    expect(connectView(entry({}), { kind: 'redirect' }), 'a redirect (OAuth, an app installation) needs nothing else').to.deep.equal({ kind: 'redirect' });
  });

  it("a body object `fooBar` takes its fields from the entry's `foo_bar` field map; a fixed `type` is nobody's to type", () => {
    const fieldValue = z.string().max(16_384);
    const body = z.object({ type: z.literal('TWO_STEP').optional(), assertionOption: z.record(z.string(), fieldValue).optional(), extraObject: z.object({}).optional() }).catchall(fieldValue);
    const privateKey = { type: 'string', title: 'Private key', description: 'The EC private key (PEM)', secret: true, multiline: true };
    const view = connectView(
      entry({
        auth_mode: 'TWO_STEP',
        credentials: { clientId: { type: 'string', title: 'Client ID' }, assertion: { type: 'string', title: '', automated: true } },
        assertion_option: { privateKey },
        extra_object: 'not a field map',
      }),
      { kind: 'form', routes: ['/auth/two-step/:key'], body },
    );
    expect(view).to.deep.equal({
      kind: 'form',
      route: '/auth/two-step/{key}',
      credentials: { clientId: { type: 'string', title: 'Client ID' } },
      sections: { assertionOption: { privateKey } },
    });
  });

  it('turns the one parameter of a route into {key}; no route or several parameters is nothing the UI can post to', () => {
    expect(routeTemplate('/api-auth/api-key/:key')).to.equal('/api-auth/api-key/{key}');
    expect(routeTemplate('/auth/jwt/:providerConfigKey')).to.equal('/auth/jwt/{key}');
    expect(routeTemplate('/auth/:a/:b')).to.equal(null);
    expect(routeTemplate('/auth/static')).to.equal(null);
    expect(routeTemplate(undefined)).to.equal(null);
    expect(connectView(entry({}), { kind: 'form', routes: [], body: z.object({}) })).to.equal(null);
  });

  it('a mode without a strategy has no connect', () => {
    expect(presentConnect(entry({ auth_mode: 'NOT_A_MODE' }))).to.equal(null);
  });
});
