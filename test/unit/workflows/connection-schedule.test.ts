import { expect } from 'chai';
import {
  earliest,
  effectiveMarginMs,
  expiryDuringBackoff,
  jitterMs,
  nextAttemptAt,
  refreshAtMs,
  retryDelayMs,
  type ScheduleFacts,
  type ScheduleState,
} from '../../../workflows/connection-schedule';

const HOUR = 3_600_000;
const MINUTE = 60_000;
const NOW = Date.parse('2026-12-01T12:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

const facts = (overrides: Partial<ScheduleFacts> = {}): ScheduleFacts => ({
  expiresAt: iso(NOW + HOUR),
  upkeep: 'refresh',
  hasRefreshToken: true,
  marginMs: 15 * MINUTE,
  verifyIntervalMs: 24 * HOUR,
  ...overrides,
});
const state = (overrides: Partial<ScheduleState> = {}): ScheduleState => ({ status: 'active', retryAt: null, lastVerifiedAt: null, lastRefreshAt: null, idleUntil: null, ...overrides });

describe('connection schedule (pure functions)', () => {
  describe('jitterMs', () => {
    it('is stable for one seed, differs across seeds, and stays below min(60 s, margin / 10)', () => {
      expect(jitterMs('row-a', 15 * MINUTE)).to.equal(jitterMs('row-a', 15 * MINUTE));
      const values = new Set(Array.from({ length: 50 }, (_, i) => jitterMs(`row-${i}`, 15 * MINUTE)));
      expect(values.size).to.be.greaterThan(40);
      for (const value of values) expect(value).to.be.within(0, 60_000 - 1);
      for (let i = 0; i < 50; i++) expect(jitterMs(`row-${i}`, 100_000)).to.be.within(0, 10_000 - 1);
    });

    it('is zero when the margin is too small to spread', () => {
      expect(jitterMs('row-a', 5)).to.equal(0);
      expect(jitterMs('row-a', 0)).to.equal(0);
    });
  });

  it('refreshAtMs is the expiry less the margin and the jitter', () => {
    const expiry = NOW + HOUR;
    expect(refreshAtMs(expiry, 15 * MINUTE, 'row-a')).to.equal(expiry - 15 * MINUTE - jitterMs('row-a', 15 * MINUTE));
  });

  describe('effectiveMarginMs', () => {
    it('keeps the margin when nothing was renewed yet, or the lifetime is longer than the margin', () => {
      expect(effectiveMarginMs(15 * MINUTE, NOW + 5 * MINUTE, null)).to.equal(15 * MINUTE);
      expect(effectiveMarginMs(15 * MINUTE, NOW + HOUR, NOW)).to.equal(15 * MINUTE);
    });

    it('renews a credential living no longer than the margin with a fifth of its life left', () => {
      expect(effectiveMarginMs(15 * MINUTE, NOW + 10 * MINUTE, NOW)).to.equal(2 * MINUTE);
      expect(effectiveMarginMs(15 * MINUTE, NOW + 15 * MINUTE, NOW)).to.equal(3 * MINUTE);
    });

    it('ignores an expiry that is not after the renewal', () => {
      expect(effectiveMarginMs(15 * MINUTE, NOW, NOW)).to.equal(15 * MINUTE);
    });
  });

  it('retryDelayMs doubles from 30 s and stops at 15 min', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(retryDelayMs)).to.deep.equal([30_000, 60_000, 120_000, 240_000, 480_000, 900_000, 900_000, 900_000]);
    expect(retryDelayMs(0)).to.equal(30_000);
  });

  describe('nextAttemptAt', () => {
    it('refreshes a refreshable token a margin (and jitter) before expiry', () => {
      expect(nextAttemptAt(facts(), state(), 'row-a', NOW)).to.equal(refreshAtMs(NOW + HOUR, 15 * MINUTE, 'row-a'));
    });

    it('acts at expiry when nothing can renew the token early', () => {
      expect(nextAttemptAt(facts({ hasRefreshToken: false }), state(), 'row-a', NOW)).to.equal(NOW + HOUR);
    });

    it('re-mints early even without a refresh token', () => {
      expect(nextAttemptAt(facts({ upkeep: 'mint', hasRefreshToken: true }), state(), 'row-a', NOW)).to.equal(refreshAtMs(NOW + HOUR, 15 * MINUTE, 'row-a'));
    });

    it('waits for messages only when invalid, without expiry, or with nothing to keep', () => {
      expect(nextAttemptAt(facts(), state({ status: 'invalid' }), 'row-a', NOW)).to.equal(null);
      expect(nextAttemptAt(facts({ expiresAt: null }), state(), 'row-a', NOW)).to.equal(null);
      expect(nextAttemptAt(facts({ upkeep: 'none' }), state(), 'row-a', NOW)).to.equal(null);
    });

    it('retries at retryAt after a failure, whatever the expiry', () => {
      expect(nextAttemptAt(facts(), state({ retryAt: iso(NOW + 30_000) }), 'row-a', NOW)).to.equal(NOW + 30_000);
    });

    it('waits for an idle connection until its keep-alive, never earlier than its refresh point', () => {
      expect(nextAttemptAt(facts(), state({ idleUntil: iso(NOW + 24 * HOUR) }), 'row-a', NOW)).to.equal(NOW + 24 * HOUR);
      expect(nextAttemptAt(facts(), state({ idleUntil: iso(NOW + MINUTE) }), 'row-a', NOW)).to.equal(refreshAtMs(NOW + HOUR, 15 * MINUTE, 'row-a'));
    });

    it('uses the short-lifetime margin after a renewal gave a credential shorter than the margin', () => {
      const expiry = NOW + 10 * MINUTE;
      expect(nextAttemptAt(facts({ expiresAt: iso(expiry) }), state({ lastRefreshAt: iso(NOW) }), 'row-a', NOW)).to.equal(refreshAtMs(expiry, 2 * MINUTE, 'row-a'));
      expect(nextAttemptAt(facts({ expiresAt: iso(expiry) }), state(), 'row-a', NOW)).to.be.below(NOW);
    });

    it('verifies an interval after the last verification, or an interval from now', () => {
      const verify = facts({ upkeep: 'verify', expiresAt: null });
      expect(nextAttemptAt(verify, state({ lastVerifiedAt: iso(NOW - HOUR) }), 'row-a', NOW)).to.equal(NOW + 23 * HOUR);
      expect(nextAttemptAt(verify, state({ lastRefreshAt: iso(NOW - 2 * HOUR) }), 'row-a', NOW)).to.equal(NOW + 22 * HOUR);
      expect(nextAttemptAt(verify, state(), 'row-a', NOW)).to.equal(NOW + 24 * HOUR);
    });
  });

  it('earliest picks the earlier time and skips nulls', () => {
    expect(earliest(null, null)).to.equal(null);
    expect(earliest(5, null)).to.equal(5);
    expect(earliest(null, 7)).to.equal(7);
    expect(earliest(9, 3)).to.equal(3);
  });

  describe('expiryDuringBackoff', () => {
    it('is the expiry when it comes before the retry of an active connection', () => {
      expect(expiryDuringBackoff(iso(NOW + MINUTE), { status: 'active', retryAt: iso(NOW + 2 * MINUTE) })).to.equal(NOW + MINUTE);
    });

    it('is null without a back-off, after the retry, without expiry, or once degraded', () => {
      expect(expiryDuringBackoff(iso(NOW + MINUTE), { status: 'active', retryAt: null })).to.equal(null);
      expect(expiryDuringBackoff(iso(NOW + 3 * MINUTE), { status: 'active', retryAt: iso(NOW + 2 * MINUTE) })).to.equal(null);
      expect(expiryDuringBackoff(null, { status: 'active', retryAt: iso(NOW + 2 * MINUTE) })).to.equal(null);
      expect(expiryDuringBackoff(iso(NOW + MINUTE), { status: 'degraded', retryAt: iso(NOW + 2 * MINUTE) })).to.equal(null);
    });
  });
});
