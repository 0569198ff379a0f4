import { expect } from 'chai';
import type { RefreshPolicy } from '../../../src/config';
import { idleUntil } from '../../../src/connections/idle-renewal';

const HOUR = 3_600_000;
const NOW = new Date('2026-12-01T12:00:00.000Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms);
const BY_USE: RefreshPolicy = { mode: 'by-use', activeWindowMs: 24 * HOUR, idleRenewIntervalMs: 24 * HOUR };
const MARGIN = 15 * 60_000;

describe('idle renewal (REFRESH_POLICY)', () => {
  it('always renews under REFRESH_POLICY=always, read or not', () => {
    expect(idleUntil({ ...BY_USE, mode: 'always' }, { lastReadAt: null, renewedAt: ago(HOUR), renewableUntil: null }, NOW, MARGIN)).to.equal(null);
  });

  it('renews a connection read within the active window', () => {
    expect(idleUntil(BY_USE, { lastReadAt: ago(23 * HOUR), renewedAt: ago(HOUR), renewableUntil: null }, NOW, MARGIN)).to.equal(null);
  });

  it('leaves a connection never read, or read before the window, until its keep-alive', () => {
    expect(idleUntil(BY_USE, { lastReadAt: null, renewedAt: ago(HOUR), renewableUntil: null }, NOW, MARGIN)?.toISOString()).to.equal(new Date(NOW.getTime() + 23 * HOUR).toISOString());
    expect(idleUntil(BY_USE, { lastReadAt: ago(25 * HOUR), renewedAt: ago(2 * HOUR), renewableUntil: null }, NOW, MARGIN)?.toISOString()).to.equal(new Date(NOW.getTime() + 22 * HOUR).toISOString());
  });

  it('renews an idle connection once its keep-alive has come', () => {
    expect(idleUntil(BY_USE, { lastReadAt: null, renewedAt: ago(24 * HOUR), renewableUntil: null }, NOW, MARGIN)).to.equal(null);
    expect(idleUntil(BY_USE, { lastReadAt: ago(30 * HOUR), renewedAt: ago(25 * HOUR), renewableUntil: null }, NOW, MARGIN)).to.equal(null);
  });

  it('renews an idle connection before its refresh token expires, less the margin', () => {
    const renewableUntil = new Date(NOW.getTime() + 2 * HOUR);
    expect(idleUntil(BY_USE, { lastReadAt: null, renewedAt: ago(HOUR), renewableUntil }, NOW, MARGIN)?.toISOString()).to.equal(new Date(renewableUntil.getTime() - MARGIN).toISOString());
    expect(idleUntil(BY_USE, { lastReadAt: null, renewedAt: ago(HOUR), renewableUntil: new Date(NOW.getTime() + MARGIN) }, NOW, MARGIN)).to.equal(null);
  });

  it('follows the configured window and interval', () => {
    const short: RefreshPolicy = { mode: 'by-use', activeWindowMs: HOUR, idleRenewIntervalMs: 6 * HOUR };
    expect(idleUntil(short, { lastReadAt: ago(30 * 60_000), renewedAt: ago(HOUR), renewableUntil: null }, NOW, MARGIN)).to.equal(null);
    expect(idleUntil(short, { lastReadAt: ago(2 * HOUR), renewedAt: ago(HOUR), renewableUntil: null }, NOW, MARGIN)?.toISOString()).to.equal(new Date(NOW.getTime() + 5 * HOUR).toISOString());
  });
});
