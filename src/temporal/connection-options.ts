/** Connection settings for the Temporal client and worker, derived from the configuration. */
import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import type { Config } from '../config';

/** What both `Connection.connect` (client) and `NativeConnection.connect` (worker) accept. */
export interface TemporalConnectionOptions {
  address: string;
  tls?: TLSConfig | boolean;
  apiKey?: string;
}


/** A PEM given inline, or the path of a file holding it (operators mount certificates as files). */
function pem(value: string): Buffer {
  return value.trimStart().startsWith('-----BEGIN') ? Buffer.from(value) : readFileSync(value);
}

/** Address, TLS (mTLS pair, CA, SNI override) and API key; an API key alone implies TLS (Temporal Cloud). */
export function temporalConnectionOptions(config: Pick<Config, 'temporal'>): TemporalConnectionOptions {
  const { address, tls, apiKey } = config.temporal;
  // Unset → the dev server `npm run dev` starts on 127.0.0.1.
  const options: TemporalConnectionOptions = { address: address ?? `127.0.0.1:${config.temporal.devPort}` };
  if (tls) {
    options.tls = {
      serverNameOverride: tls.serverName,
      serverRootCACertificate: tls.ca ? pem(tls.ca) : undefined,
      clientCertPair: tls.cert && tls.key ? { crt: pem(tls.cert), key: pem(tls.key) } : undefined,
    };
  } else if (apiKey) {
    options.tls = true;
  }
  if (apiKey) options.apiKey = apiKey;
  return options;
}
