import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetch as undiciFetch } from 'undici';
import { createGuardedAgent, isPrivateTargetError, pinnedLookup, publicAddresses, type HostLookup } from '../../../providers/net/guarded-agent';

// A DNS-rebinding resolver: a public (documentation-range) address the first time, loopback afterwards.
function rebindingResolver(): { lookup: HostLookup; calls: () => number } {
  let calls = 0;
  return {
    lookup: async () => (calls++ === 0 ? ['203.0.113.7'] : ['127.0.0.1']),
    calls: () => calls,
  };
}

describe('guarded agent (DNS pinning)', () => {
  let server: Server;
  let port: number;
  let hits = 0;
  before(async () => {
    server = createServer((_req, res) => {
      hits++;
      res.end('reached');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    hits = 0;
  });

  it('DNS rebinding: a host that passed the check with a public address and then resolves to 127.0.0.1 is refused at connect time', async () => {
    const resolver = rebindingResolver();
    // The check made before sending sees the public answer and lets the host through…
    expect(await publicAddresses('rebind.example', resolver.lookup)).to.deep.equal(['203.0.113.7']);
    const agent = createGuardedAgent(resolver.lookup);
    try {
      // …and the connection resolves again inside the agent, sees loopback and never connects.
      const error = await undiciFetch(`http://rebind.example:${port}/`, { dispatcher: agent }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isPrivateTargetError(error), String(error)).to.equal(true);
    } finally {
      await agent.close();
    }
    expect(resolver.calls()).to.equal(2);
    expect(hits).to.equal(0);
  });

  it('a host with one private address among public ones is refused (no address is picked around the check)', async () => {
    const agent = createGuardedAgent(async () => ['203.0.113.7', '127.0.0.1']);
    try {
      const error = await undiciFetch(`http://mixed.example:${port}/`, { dispatcher: agent }).catch((e: unknown) => e);
      expect(isPrivateTargetError(error)).to.equal(true);
    } finally {
      await agent.close();
    }
    expect(hits).to.equal(0);
  });

  it('private IP literals are refused before connecting although net.connect skips lookup for them', async () => {
    const agent = createGuardedAgent(async () => {
      throw new Error('no lookup expected');
    });
    try {
      for (const url of [`http://127.0.0.1:${port}/`, `http://[::ffff:127.0.0.1]:${port}/`, `http://[::127.0.0.1]:${port}/`, `http://localhost:${port}/`]) {
        const error = await undiciFetch(url, { dispatcher: agent }).catch((e: unknown) => e);
        expect(isPrivateTargetError(error), url).to.equal(true);
      }
    } finally {
      await agent.close();
    }
    expect(hits).to.equal(0);
  });

  it('DNS rebinding: the pinned lookup hands net.connect the very address it checked, single or all', async () => {
    const lookup = pinnedLookup(async () => ['203.0.113.9']);
    const answer = await new Promise<string>((resolve, reject) =>
      lookup('pinned.example', {}, (error, address) => (error ? reject(error) : resolve(address as string))),
    );
    expect(answer).to.equal('203.0.113.9');
    const all = await new Promise<unknown>((resolve, reject) =>
      lookup('pinned.example', { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))),
    );
    expect(all).to.deep.equal([{ address: '203.0.113.9', family: 4 }]);
  });
});
