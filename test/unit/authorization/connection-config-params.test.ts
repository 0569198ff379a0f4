import { expect } from 'chai';
import { loadCatalog } from '../../../providers/load-catalog';
import { bracketParams, withoutBracketParams } from '../../../src/api/bracket-params';
import { checkConnectionConfig } from '../../../src/authorization/connection-config-params';
import { ValidationError } from '../../../src/errors';

describe('connection config from params[...]', () => {
  const catalog = loadCatalog();

  it('reads params[k] and only those from the query', () => {
    expect(bracketParams({ 'params[subdomain]': 'acme', other: 'x', 'params[region]': 'eu', 'params[]': 'no', 'tags[a]': 'b' }, 'params')).to.deep.equal({ subdomain: 'acme', region: 'eu' });
    expect(withoutBracketParams({ 'tags[a]': 'b', limit: '5' }, 'tags')).to.deep.equal({ limit: '5' });
  });

  it('refuses a value outside its field pattern and a missing required field, naming params.<key>', () => {
    const zendesk = catalog.get('zendesk')!;
    for (const config of [{ subdomain: 'evil.com/x?' }, {}]) {
      try {
        checkConnectionConfig(zendesk, config);
        expect.fail('accepted');
      } catch (error) {
        expect(error).to.be.instanceOf(ValidationError);
        expect((error as ValidationError).code).to.equal('invalid_connection_config');
        expect((error as ValidationError).errors![0]!.path).to.deep.equal(['params', 'subdomain']);
      }
    }
    expect(checkConnectionConfig(zendesk, { subdomain: 'acme' })).to.deep.equal({ subdomain: 'acme' });
  });

  it('does not ask for fields the token response fills in (automated)', () => {
    const mailchimp = catalog.get('mailchimp')!;
    expect(Object.values(mailchimp.connection_config ?? {}).some((f) => f.automated === true)).to.equal(true);
    expect(() => checkConnectionConfig(mailchimp, {})).to.not.throw();
  });
});
