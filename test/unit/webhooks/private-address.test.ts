import { expect } from 'chai';
import { isPrivateAddress, isPrivateHostname } from '../../../providers/net/private-address';

describe('private webhook targets', () => {
  it('recognises loopback, RFC 1918, link-local, CGNAT and unspecified IPv4 addresses', () => {
    for (const ip of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0']) {
      expect(isPrivateAddress(ip), ip).to.equal(true);
    }
    for (const ip of ['8.8.8.8', '172.32.0.1', '100.128.0.1', '93.184.216.34']) expect(isPrivateAddress(ip), ip).to.equal(false);
  });

  it('recognises IPv6 loopback, ULA, link-local and v4-mapped private addresses in dotted and hex spellings', () => {
    for (const ip of ['::1', '::', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:a9fe:a9fe']) {
      expect(isPrivateAddress(ip), ip).to.equal(true);
    }
    for (const ip of ['2606:4700::1111', '::ffff:808:808']) expect(isPrivateAddress(ip), ip).to.equal(false);
  });

  it('IPv4 ranges that reach no public host: 0.0.0.0/8, 192.0.0.0/24, 198.18.0.0/15 (benchmarking), 224.0.0.0/4 (multicast), 240.0.0.0/4 (reserved)', () => {
    for (const ip of ['0.1.2.3', '0.255.255.255', '192.0.0.8', '198.18.0.1', '198.19.255.255', '224.0.0.1', '239.255.255.250', '240.0.0.1', '255.255.255.255']) {
      expect(isPrivateAddress(ip), ip).to.equal(true);
    }
    for (const ip of ['1.0.0.1', '198.17.255.255', '198.20.0.0', '223.255.255.255', '192.0.2.1']) expect(isPrivateAddress(ip), ip).to.equal(false);
  });

  it('IPv6 forms that embed any IPv4 address: IPv4-compatible ::a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16', () => {
    for (const ip of ['::127.0.0.1', '::7f00:1', '::8.8.8.8', '64:ff9b::7f00:1', '64:ff9b::127.0.0.1', '64:ff9b::a9fe:a9fe', '64:ff9b:1::1', '2002:7f00:1::1', '2002::1']) {
      expect(isPrivateAddress(ip), ip).to.equal(true);
    }
    for (const ip of ['64:ff9a::1', '2003::1', '2001:db8::1']) expect(isPrivateAddress(ip), ip).to.equal(false);
  });

  it('IPv6 site-local fec0::/10 and multicast ff00::/8', () => {
    for (const ip of ['fec0::1', 'feff::1', 'ff02::1', 'ff05::fb']) expect(isPrivateAddress(ip), ip).to.equal(true);
    for (const ip of ['fe00::1', 'fbff::1']) expect(isPrivateAddress(ip), ip).to.equal(false);
  });

  it('judges URL hostnames as the URL parser writes them', () => {
    for (const url of ['http://localhost/x', 'http://api.localhost/x', 'http://[::ffff:127.0.0.1]/x', 'http://[::1]:8080/', 'http://2130706433/', 'http://[::127.0.0.1]/', 'http://[64:ff9b::7f00:1]/', 'http://localhost./']) {
      expect(isPrivateHostname(new URL(url).hostname), url).to.equal(true);
    }
    expect(isPrivateHostname(new URL('https://hooks.example.com/x').hostname)).to.equal(false);
  });
});
