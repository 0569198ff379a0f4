import { expect } from 'chai';
import type { ProviderEntry } from '../../../providers/catalog-schema';
import { refusePrivateUserHosts } from '../../../src/authorization/user-host-check';
import { CustodianError } from '../../../src/errors';

function entry(fields: Partial<ProviderEntry>): ProviderEntry {
  return { display_name: 'X', auth_mode: 'OAUTH2', ...fields } as ProviderEntry;
}

function codeOf(run: () => void): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof CustodianError ? error.code : String(error);
  }
}

describe('user-chosen provider hosts', () => {
  it('SSRF through a || fallback or a base URL: a private host chosen in either alternative is refused', () => {
    const fallback = entry({ token_url: 'https://${connectionConfig.subdomain}.example.com/token || https://${connectionConfig.host}/token' });
    expect(codeOf(() => refusePrivateUserHosts(fallback, { host: '169.254.169.254' }, false))).to.equal('private_network_target');
    expect(codeOf(() => refusePrivateUserHosts(fallback, { subdomain: 'acme' }, false))).to.equal(undefined);
    const base = entry({ proxy: { base_url: '${connectionConfig.instance_url}' } } as Partial<ProviderEntry>);
    expect(codeOf(() => refusePrivateUserHosts(base, { instance_url: 'http://127.0.0.1:8080' }, false))).to.equal('private_network_target');
    expect(codeOf(() => refusePrivateUserHosts(base, { instance_url: 'https://acme.my.example.com' }, false))).to.equal(undefined);
  });

  it('a fixed loopback host written by the operator is not an end user\'s choice and stays allowed when only the path is templated', () => {
    // The operator wrote 127.0.0.1 in the catalog; only the path comes from the user.
    const fixed = entry({ token_url: 'http://127.0.0.1:9999/${connectionConfig.tenant}/token' });
    expect(codeOf(() => refusePrivateUserHosts(fixed, { tenant: 'acme' }, false))).to.equal(undefined);
  });

  it('ALLOW_PRIVATE_NETWORK_TARGETS turns the check off (dev and tests)', () => {
    const canvas = entry({ authorization_url: 'https://${connectionConfig.hostname}/login/oauth2/auth' });
    expect(codeOf(() => refusePrivateUserHosts(canvas, { hostname: '127.0.0.1' }, false))).to.equal('private_network_target');
    expect(codeOf(() => refusePrivateUserHosts(canvas, { hostname: '127.0.0.1' }, true))).to.equal(undefined);
  });
});
