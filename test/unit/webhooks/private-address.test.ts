import { expect } from 'chai';
import { isPrivateAddress, isPrivateHostname } from '../../../src/webhooks/private-address';

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

  it('judges URL hostnames as the URL parser writes them', () => {
    for (const url of ['http://localhost/x', 'http://api.localhost/x', 'http://[::ffff:127.0.0.1]/x', 'http://[::1]:8080/', 'http://2130706433/']) {
      expect(isPrivateHostname(new URL(url).hostname), url).to.equal(true);
    }
    expect(isPrivateHostname(new URL('https://hooks.example.com/x').hostname)).to.equal(false);
  });
});
