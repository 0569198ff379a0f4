/**
 * REFRESH_POLICY=by-use under time skipping, 1-hour tokens, the default 15-minute margin, ACTIVE_WINDOW
 * and IDLE_RENEW_INTERVAL of 24 h: idle connections cost a keep-alive a day, connections read hourly stay
 * fresh ahead of every read, and an idle connection read after days gets a valid token in one provider call.
 * Reads are made as the API makes them (ConnectionService.readFresh, then `last_fetched_at`), on the
 * test server's clock.
 */
import { expect } from 'chai';
import type { ConnectionEntity } from '../../src/db/entities';
import { apiReader } from '../support/api-reads';
import { connectMany } from '../support/connect-many';
import type { Lifecycle } from '../support/lifecycle';
import { useLifecycleSuite } from './lifecycle-suite';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MARGIN = 15 * 60_000;
const IDLE_CONNECTIONS = 1_000;
const HOURLY_CONNECTIONS = 5;
const DAYS = 7;

/** The refresh token a connection holds now (the fake provider does not rotate them here). */
function refreshTokenOf(rig: Lifecycle, row: ConnectionEntity): string {
  const credentials = rig.connections.credentialsOf(row) as { refresh_token?: string };
  return credentials.refresh_token!;
}

describe('REFRESH_POLICY=by-use: refresh cost follows use (time skipping, 7 days, 1-hour tokens)', function () {
  this.timeout(900_000);
  const suite = useLifecycleSuite({ knobs: { expiresIn: 3600, rotateRefreshTokens: false }, configEnv: { REFRESH_POLICY: 'by-use' }, teardownTimeoutMs: 600_000 });

  it(`costs ${IDLE_CONNECTIONS} idle connections at most 1.1 provider calls a day each; hourly reads never meet a token inside the margin; an idle connection read after 3 days gets a valid token in one call`, async () => {
    const { env, rig } = suite;
    const read = apiReader(env.client, rig);
    const idle = (await connectMany(rig, 'idle', IDLE_CONNECTIONS)).map((c) => c.row);
    const hourly = (await connectMany(rig, 'hourly', HOURLY_CONNECTIONS)).map((c) => c.row);
    // The first idle connection is read after 3 days, and is in use from then on: it is left out of the idle figures.
    const idleTokens = new Set(idle.slice(1).map((row) => refreshTokenOf(rig, row)));
    const start = await env.currentTimeMs();

    let hourlyReadsInsideMargin = 0;
    let hourlyReads = 0;
    let coldRead: { calls: number; validForMs: number } | null = null;
    for (let hour = 1; hour <= DAYS * 24; hour++) {
      await env.sleep(HOUR);
      const now = new Date(await env.currentTimeMs());
      for (const row of hourly) {
        const { stored, served } = await read(row.connectionId, now);
        hourlyReads += 1;
        // Once read, a connection is in use: its proactive refresh came first, and the row already held a
        // token good for more than the margin. (Its first read, an hour after the connect, found it idle.)
        if (hour > 1 && stored.expiresAt!.getTime() - now.getTime() <= MARGIN) hourlyReadsInsideMargin += 1;
        expect(served.expiresAt!.getTime() - now.getTime()).to.be.greaterThan(MARGIN);
      }
      if (hour === 3 * 24 + 6) {
        // Six hours after its third keep-alive, the first idle connection's token has long expired.
        const refreshCallsBefore = rig.provider.tokenCalls('refresh_token').length;
        const { stored, served } = await read(idle[0]!.connectionId, now);
        expect(stored.expiresAt!.getTime()).to.be.below(now.getTime());
        coldRead = { calls: rig.provider.tokenCalls('refresh_token').length - refreshCallsBefore, validForMs: served.expiresAt!.getTime() - now.getTime() };
      }
    }
    const elapsedDays = ((await env.currentTimeMs()) - start) / DAY;

    const idleCalls = rig.provider.tokenCalls('refresh_token').filter((call) => idleTokens.has(call.refreshTokenUsed!)).length;
    const perIdleConnectionPerDay = idleCalls / (IDLE_CONNECTIONS - 1) / elapsedDays;
    console.log(
      `      ${IDLE_CONNECTIONS - 1} idle connections over ${elapsedDays.toFixed(2)} simulated days: ${idleCalls} refresh calls, ${perIdleConnectionPerDay.toFixed(3)} per connection per day; ` +
        `${hourlyReads} hourly reads, ${hourlyReadsInsideMargin} inside the margin; cold read after 3 days: ${coldRead?.calls} call(s)`,
    );
    expect(perIdleConnectionPerDay).to.be.at.most(1.1);
    // The keep-alive ran: every idle connection was renewed at least once a day.
    expect(perIdleConnectionPerDay).to.be.at.least((DAYS - 1) / DAYS);
    expect(hourlyReadsInsideMargin).to.equal(0);
    expect(hourlyReads).to.equal(DAYS * 24 * HOURLY_CONNECTIONS);
    expect(coldRead).to.deep.include({ calls: 1 });
    expect(coldRead!.validForMs).to.be.greaterThan(MARGIN);
  });
});

describe('REFRESH_POLICY=always: every connection at every expiry (time skipping, 1 day, 1-hour tokens)', function () {
  this.timeout(300_000);
  const suite = useLifecycleSuite({ knobs: { expiresIn: 3600, rotateRefreshTokens: false }, configEnv: { REFRESH_POLICY: 'always' } });

  it('refreshes connections nobody reads ahead of each expiry, as before by-use', async () => {
    const { env, rig } = suite;
    const rows = (await connectMany(rig, 'unread', 10)).map((c) => c.row);
    const tokens = new Set(rows.map((row) => refreshTokenOf(rig, row)));
    await env.sleep(DAY);
    const calls = rig.provider.tokenCalls('refresh_token').filter((call) => tokens.has(call.refreshTokenUsed!)).length;
    // A 1-hour token refreshed 15 minutes (less jitter) before expiry: one refresh every ~45 minutes.
    expect(calls / rows.length).to.be.within(30, 33);
  });
});
