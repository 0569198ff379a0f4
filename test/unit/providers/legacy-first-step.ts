/**
 * Transitional: the first step of the five first modes through their old builders, until they become
 * AuthModeStrategy implementations (the "Strategies:" commit removes `strategyFor`, and this file with it).
 * It takes the same steps a strategy would, against the same in-memory provider.
 */
import { strategyFor } from '../../../providers/auth-modes';
import { getRequestToken } from '../../../providers/auth-modes/oauth1-token-request';
import { mintClientCredentialsToken } from '../../../providers/auth-modes/oauth2-token-request';
import { sendVerification } from '../../../providers/auth-modes/send-verification';
import type { ProviderEntry } from '../../../providers/catalog-schema';
import { sampleValues } from './fixtures';
import { describeError, SAMPLE, withoutGlobalFetch, type Exercise, type FirstStep } from './step-samples';
import { carriesAny, recordingProvider } from './recording-provider';

type Outcome = { step: FirstStep } | { reason: string };

/** The first step through the old builder of `entry`'s mode, or undefined when its mode has none. */
export async function legacyFirstStep(entry: ProviderEntry, connectionConfig: Record<string, string>): Promise<Exercise | undefined> {
  const take = LEGACY[entry.auth_mode];
  if (!take) return undefined;
  const outcome = await withoutGlobalFetch(async (): Promise<Outcome> => {
    try {
      return await take(entry, connectionConfig);
    } catch (error) {
      return { reason: describeError(error) };
    }
  });
  return { ...outcome, via: 'legacy builder' };
}

const redirect = { clientId: SAMPLE.client.clientId, redirectUri: SAMPLE.redirectUri, state: SAMPLE.state, codeChallenge: 'sample-challenge' };
const call = { timeoutMs: SAMPLE.timeoutMs, refusePrivateUserHosts: false };

const LEGACY: Readonly<Record<string, (entry: ProviderEntry, connectionConfig: Record<string, string>) => Promise<Outcome>>> = {
  OAUTH2: async (entry, connectionConfig) => {
    const url = strategyFor('OAUTH2').buildAuthorizationUrl({ entry, ...redirect, scopes: SAMPLE.client.scopes, connectionConfig });
    return { step: { kind: 'authorization URL', url, providerCalls: 0 } };
  },
  OAUTH1: async (entry, connectionConfig) => {
    const provider = recordingProvider([SAMPLE.client.clientSecret]);
    const { token } = await getRequestToken({
      entry, consumerKey: SAMPLE.client.clientId, consumerSecret: SAMPLE.client.clientSecret, callbackUrl: SAMPLE.redirectUri, connectionConfig, fetch: provider.fetch, ...call,
    });
    const url = strategyFor('OAUTH1').buildAuthorizationUrl({ entry, requestToken: token, connectionConfig, scopes: SAMPLE.client.scopes });
    return { step: { kind: 'authorization URL', url, providerCalls: provider.requests.length } };
  },
  OAUTH2_CC: async (entry, connectionConfig) => {
    const { client_id: clientId, client_secret: clientSecret } = SAMPLE.credentials;
    const provider = recordingProvider([clientSecret]);
    await mintClientCredentialsToken({ entry, clientId, clientSecret, connectionConfig, scopes: [], now: SAMPLE.now, fetch: provider.fetch, ...call });
    return firstRequest(provider.requests, [clientSecret]);
  },
  API_KEY: (entry, connectionConfig) => verify('API_KEY', entry, connectionConfig, { ...sampleValues(entry.credentials), apiKey: SAMPLE.credentials.apiKey }),
  BASIC: (entry, connectionConfig) =>
    verify('BASIC', entry, connectionConfig, { username: SAMPLE.credentials.username, password: SAMPLE.credentials.password, ...sampleValues(entry.credentials) }),
  NONE: async () => ({ step: { kind: 'credential form' } }),
};

async function verify(mode: 'API_KEY' | 'BASIC', entry: ProviderEntry, connectionConfig: Record<string, string>, credentials: Record<string, string>): Promise<Outcome> {
  const request = strategyFor(mode).buildVerificationRequest({ entry, credentials, connectionConfig });
  if (!request) return { step: { kind: 'credential form' } };
  const secrets = Object.values(credentials);
  const provider = recordingProvider(secrets);
  await sendVerification(request, { provider: entry.display_name, secrets, fetch: provider.fetch, ...call }).catch(() => undefined);
  return firstRequest(provider.requests, secrets);
}

function firstRequest(requests: ReturnType<typeof recordingProvider>['requests'], submitted: readonly string[]): Outcome {
  const first = requests[0];
  if (!first) return { reason: 'no request was sent' };
  return carriesAny(first, submitted) ? { step: { kind: 'provider request', request: first } } : { reason: 'the first request carries none of the submitted credentials' };
}
