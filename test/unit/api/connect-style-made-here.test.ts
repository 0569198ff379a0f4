import { expect } from 'chai';
import { loadCatalog } from '../../../providers/load-catalog';
import { presentConnect, type ConnectView } from '../../../src/api/presenters/connect-style';

/** `name` for a required field, `name?` optional, `*` secret, `[ml]` multiline. */
function summary(view: ConnectView | null): string {
  if (view === null) return 'none';
  if (view.kind === 'redirect') return 'redirect';
  const fields = Object.entries(view.credentials).map(([key, field]) => `${key}${field.optional ? '?' : ''}${field.secret ? '*' : ''}${field.multiline ? '[ml]' : ''}`);
  return `${view.route}: ${fields.join(', ')}`;
}

describe('Connect UI view of the modes whose credential is made here', () => {
  const catalog = loadCatalog();
  const viewOf = (name: string) => summary(presentConnect(catalog.get(name)!));

  it('posts each form to the route Nango\'s frontend uses, with the fields the catalog declares', () => {
    expect({
      ghost: viewOf('ghost-admin'),
      apple: viewOf('apple-app-store'),
      snowflake: viewOf('snowflake-jwt'),
      emarsys: viewOf('emarsys'),
      bill: viewOf('bill'),
      netsuite: viewOf('netsuite-tba'),
      aws: viewOf('aws-sigv4'),
    }).to.deep.equal({
      ghost: '/auth/jwt/{key}: privateKey*',
      apple: '/auth/jwt/{key}: issuerId, privateKeyId, privateKey*[ml]',
      snowflake: '/auth/jwt/{key}: accountIdentifier, userName, privateKey*[ml]',
      emarsys: '/auth/signature/{key}: username, password*',
      bill: '/auth/bill/{key}: username, password*, organization_id, dev_key*',
      netsuite: '/auth/tba/{key}: token_id, token_secret*, oauth_client_id_override?, oauth_client_secret_override?*',
      aws: '/auth/aws-sigv4/{key}: role_arn, region?',
    });
  });

  it('opens the plugin install in a popup (a redirect mode)', () => {
    expect(viewOf('crisp-plugin-install')).to.equal('redirect');
  });
});
