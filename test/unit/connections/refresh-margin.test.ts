import { expect } from 'chai';
import { refreshMarginMs } from '../../../src/connections/refresh-margin';

const FIFTEEN_MINUTES_MS = 15 * 60_000;

describe('refreshMarginMs', () => {
  it("is the entry's token_expiration_buffer when it has one, else the configured margin", () => {
    expect(refreshMarginMs({ token_expiration_buffer: 60 }, FIFTEEN_MINUTES_MS)).to.equal(60_000);
    expect(refreshMarginMs({}, FIFTEEN_MINUTES_MS)).to.equal(FIFTEEN_MINUTES_MS);
    expect(refreshMarginMs(undefined, FIFTEEN_MINUTES_MS)).to.equal(FIFTEEN_MINUTES_MS);
  });

  it('is a fifth of a stated credential lifetime no longer than the margin (renewals would otherwise be due at once)', () => {
    expect(refreshMarginMs({ token: { expires_in_ms: 300_000 } }, FIFTEEN_MINUTES_MS)).to.equal(60_000);
    expect(refreshMarginMs({ token: { expires_in_ms: FIFTEEN_MINUTES_MS } }, FIFTEEN_MINUTES_MS)).to.equal(3 * 60_000);
    expect(refreshMarginMs({ token: { expires_in_ms: 3_600_000 } }, FIFTEEN_MINUTES_MS), 'an hour-long JWT keeps the margin').to.equal(FIFTEEN_MINUTES_MS);
    expect(refreshMarginMs({ token: { expires_in_ms: 300_000 }, token_expiration_buffer: 30 }, FIFTEEN_MINUTES_MS), 'an explicit buffer wins').to.equal(30_000);
  });
});
