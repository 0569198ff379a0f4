import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { freePort } from '../../support/free-port';

describe('test support: freePort', () => {
  it('hands out distinct, bindable ports below the kernel ephemeral range, where no outgoing connection can take them', async () => {
    const ephemeralStart = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    const ports: number[] = [];
    for (let i = 0; i < 50; i++) ports.push(await freePort());
    expect(new Set(ports).size).to.equal(ports.length);
    for (const port of ports) expect(port).to.be.below(ephemeralStart).and.at.least(10_000);
    const server = createServer();
    await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(ports[0], '127.0.0.1', resolve); });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});
