import { expect } from 'chai';
import { nangoEntrySchema } from '../../../../providers/catalog-schema';
import { providerTimeoutMs } from '../../../../providers/calls/provider-timeout';

const base = { display_name: 'Slow Co', docs: 'https://example.com/docs', auth_mode: 'API_KEY' };

describe('provider timeouts', () => {
  it("uses the entry's request_timeout (seconds) over PROVIDER_TIMEOUT, and PROVIDER_TIMEOUT otherwise", () => {
    expect(providerTimeoutMs(nangoEntrySchema.parse({ ...base, request_timeout: 90 }), 60_000)).to.equal(90_000);
    expect(providerTimeoutMs(nangoEntrySchema.parse(base), 60_000)).to.equal(60_000);
    expect(providerTimeoutMs(undefined, 2_000)).to.equal(2_000);
  });

  it('accepts request_timeout from 1 to 300 whole seconds only', () => {
    for (const bad of [0, 301, 1.5, '30']) expect(nangoEntrySchema.safeParse({ ...base, request_timeout: bad }).success, String(bad)).to.equal(false);
    for (const good of [1, 300]) expect(nangoEntrySchema.safeParse({ ...base, request_timeout: good }).success, String(good)).to.equal(true);
  });
});
