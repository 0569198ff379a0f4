import { expect } from 'chai';
import { redirectUriMetadata } from '../../../providers/auth-modes/oauth2';

describe('redirect_uri_metadata', () => {
  it('copies only the callback values the catalog names, as text', () => {
    const entry = { redirect_uri_metadata: ['realmId', 'missing'] };
    expect(redirectUriMetadata(entry, { realmId: '9130357', code: 'secret-code', state: 's', missing: '' })).to.deep.equal({ realmId: '9130357' });
    expect(redirectUriMetadata({}, { realmId: '1' })).to.deep.equal({});
  });
});
