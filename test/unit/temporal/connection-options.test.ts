import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../../src/config';
import { temporalConnectionOptions } from '../../../src/temporal/connection-options';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('Temporal connection options from config', () => {
  it('uses the dev server on 127.0.0.1 (TEMPORAL_DEV_PORT, default 7233) and no TLS when TEMPORAL_ADDRESS is unset', () => {
    expect(temporalConnectionOptions(parseConfig({}))).to.deep.equal({ address: '127.0.0.1:7233' });
    expect(temporalConnectionOptions(parseConfig({ TEMPORAL_DEV_PORT: '17233' }))).to.deep.equal({ address: '127.0.0.1:17233' });
  });

  it('turns on TLS with the API key alone, as Temporal Cloud expects', () => {
    const options = temporalConnectionOptions(parseConfig({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_API_KEY: 'k-123' }));
    expect(options).to.deep.equal({ address: 'ns.acct.tmprl.cloud:7233', tls: true, apiKey: 'k-123' });
  });

  it('builds an mTLS pair from inline PEM and a CA from a file path, with the SNI override', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'custodian-tls-'));
    const caFile = path.join(dir, 'ca.pem');
    writeFileSync(caFile, PEM.replace('MIIB', 'CAFILE'));
    const options = temporalConnectionOptions(parseConfig({
      TEMPORAL_ADDRESS: 'temporal.internal:7233', TEMPORAL_TLS_CERT: PEM, TEMPORAL_TLS_KEY: PEM.replace('MIIB', 'KEY'),
      TEMPORAL_TLS_CA: caFile, TEMPORAL_TLS_SERVER_NAME: 'temporal.example',
    }));
    const tls = options.tls as { serverNameOverride: string; serverRootCACertificate: Buffer; clientCertPair: { crt: Buffer; key: Buffer } };
    expect(tls.serverNameOverride).to.equal('temporal.example');
    expect(tls.serverRootCACertificate.toString()).to.contain('CAFILE');
    expect(tls.clientCertPair.crt.toString()).to.equal(PEM);
    expect(tls.clientCertPair.key.toString()).to.contain('KEY');
    expect(options.apiKey).to.equal(undefined);
  });
});
