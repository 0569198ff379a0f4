import { expect } from 'chai';
import { z } from 'zod';
import type { AuthModeStrategy, BeginInput, CallContext, CompleteInput } from '../../../providers/auth-modes';
import { nangoEntrySchema, type ProviderEntry } from '../../../providers/catalog-schema';
import { exerciseEntry, sampleForm } from './first-step';

const entry: ProviderEntry = nangoEntrySchema.parse({
  display_name: 'Toy',
  auth_mode: 'OAUTH2',
  authorization_url: 'https://toy.example.com/authorize',
  token_url: 'https://toy.example.com/token',
  proxy: { base_url: 'https://${connectionConfig.subdomain}.toy.example.com' },
  connection_config: { subdomain: { type: 'string', title: 'Subdomain', pattern: '^[a-z]+$' } },
  credentials: { apiKey: { type: 'string', title: 'Key', pattern: '^tk_[a-z0-9]+$', example: 'tk_abc123' } },
});

/** A strategy whose unused members refuse; `parts` supplies what the exercise calls. */
function toyStrategy(parts: Pick<AuthModeStrategy, 'connect'> & Partial<Pick<AuthModeStrategy, 'begin' | 'complete'>>): AuthModeStrategy {
  const unused = (): never => {
    throw new Error('not used by the first step');
  };
  return {
    authMode: 'OAUTH2',
    completing: 'testing',
    complete: unused,
    importSchema: z.object({}),
    fromImport: unused,
    checksImports: false,
    upkeep: unused,
    renew: unused,
    expiresAt: unused,
    authorize: unused,
    secretsOf: unused,
    ...parts,
  };
}

const only = (strategy: AuthModeStrategy) => ({ strategyOf: () => strategy });

async function jsonOf(call: CallContext, url: string, init: RequestInit = {}): Promise<Record<string, unknown>> {
  return (await (await call.fetch!(url, init)).json()) as Record<string, unknown>;
}

describe('exerciseEntry (the first step of an entry, through its strategy)', () => {
  it("takes a redirect strategy's authorization URL after the provider calls begin() makes first (discovery, registration)", async () => {
    const discovering = toyStrategy({
      connect: { kind: 'redirect' },
      async begin(input: BeginInput, call: CallContext) {
        const base = `https://${String(input.connectionConfig['subdomain'])}.toy.example.com`;
        const resource = await jsonOf(call, `${base}/.well-known/oauth-protected-resource/mcp`);
        const server = (resource['authorization_servers'] as string[])[0]!;
        const metadata = await jsonOf(call, `${server}/.well-known/oauth-authorization-server`);
        const registered = await jsonOf(call, String(metadata['registration_endpoint']), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ redirect_uris: [input.redirectUri] }),
        });
        return { url: `${String(metadata['authorization_endpoint'])}?client_id=${String(registered['client_id'])}&state=${input.state}`, attemptSecrets: {} };
      },
    });
    const exercise = await exerciseEntry(entry, only(discovering));
    expect(exercise).to.deep.equal({
      step: { kind: 'authorization URL', url: 'https://acme.toy.example.com/authorize?client_id=registered-client-id&state=sample-attempt-id', providerCalls: 3 },
      via: 'strategy',
    });
  });

  it("takes a form strategy's first request, the form filled from its body schema (nested and optional values, the entry's credential samples, no key a strict body refuses)", async () => {
    const form = z.strictObject({ credentials: z.strictObject({ apiKey: z.string(), username: z.string() }), label: z.string().optional() });
    let received: CompleteInput['received'] | undefined;
    const verifying = toyStrategy({
      connect: { kind: 'form', routes: ['/auth/toy/:key'], body: form },
      async complete(input: CompleteInput, call: CallContext) {
        received = input.received;
        const credentials = input.received['credentials'] as Record<string, string>;
        const answer = await call.fetch!('https://acme.toy.example.com/me', { headers: { 'x-api-key': credentials['apiKey']! } });
        if (answer.status !== 200) throw new Error(`refused: ${answer.status}`);
        return { credentials: { type: 'API_KEY', apiKey: credentials['apiKey']! }, expiresAt: null, connectionConfig: {} };
      },
    });
    const exercise = await exerciseEntry(entry, only(verifying));
    // The entry's apiKey field was offered at the top level too; the strict body refused it there.
    expect(received).to.deep.equal({ credentials: { apiKey: 'tk_abc123', username: 'sample-user' }, label: 'sample-label-4b7d' });
    expect(exercise).to.deep.equal({
      step: { kind: 'provider request', request: { method: 'GET', url: 'https://acme.toy.example.com/me', headers: { 'x-api-key': 'tk_abc123' }, body: '' } },
      via: 'strategy',
    });
  });

  it('counts a form strategy that sends nothing as a credential form, and its error when it fails before sending', async () => {
    const silent = toyStrategy({
      connect: { kind: 'form', routes: ['/auth/toy/:key'], body: z.object({}) },
      complete: async () => ({ credentials: { type: 'NONE' }, expiresAt: null, connectionConfig: {} }),
    });
    expect(await exerciseEntry(entry, only(silent))).to.deep.equal({ step: { kind: 'credential form' }, via: 'strategy' });
    const failing = toyStrategy({
      connect: { kind: 'form', routes: ['/auth/toy/:key'], body: z.object({}) },
      complete: () => Promise.reject(Object.assign(new Error('Missing value for connectionConfig.region'), { code: 'missing_connection_config' })),
    });
    expect(await exerciseEntry(entry, only(failing))).to.deep.equal({ reason: 'missing_connection_config: Missing value for connectionConfig.region', via: 'strategy' });
  });

  it('refuses a form strategy whose requests carry none of the submitted credentials (they could not tell a good key from a bad one)', async () => {
    const blind = toyStrategy({
      connect: { kind: 'form', routes: ['/auth/toy/:key'], body: z.object({ apiKey: z.string() }) },
      async complete(_input: CompleteInput, call: CallContext) {
        await call.fetch!('https://acme.toy.example.com/status', {});
        return { credentials: { type: 'NONE' }, expiresAt: null, connectionConfig: {} };
      },
    });
    expect(await exerciseEntry(entry, only(blind))).to.deep.equal({ reason: 'no request carries the submitted credentials', via: 'strategy' });
  });

  it('catches a strategy that calls the network without CallContext.fetch, and restores the global fetch', async () => {
    const original = globalThis.fetch;
    const escaping = toyStrategy({
      connect: { kind: 'redirect' },
      async begin() {
        await fetch('https://toy.example.com/request-token').catch(() => undefined);
        return { url: 'https://toy.example.com/authorize', attemptSecrets: {} };
      },
    });
    expect(await exerciseEntry(entry, only(escaping))).to.deep.equal({ reason: 'called the network outside CallContext.fetch', via: 'strategy' });
    expect(globalThis.fetch).to.equal(original);
  });

  it('names the mode that has no strategy', async () => {
    expect(await exerciseEntry(entry, { strategyOf: () => undefined })).to.deep.equal({ reason: 'no strategy for OAUTH2', via: 'none' });
  });

  it('says why no sample form passes a body schema it cannot fill', () => {
    expect(sampleForm(z.object({ port: z.number() }), entry)).to.equal('port: Invalid input: expected number, received undefined');
  });
});
