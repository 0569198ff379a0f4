import { expect } from 'chai';
import { signSigV4 } from '../../../../providers/auth-modes/aws-sigv4-signing';

// AWS's published Signature Version 4 test suite credentials and clock (aws-sig-v4-test-suite).
const SUITE = {
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
  region: 'us-east-1',
  service: 'service',
  now: new Date('2015-08-30T12:36:00Z'),
};
const SUITE_CREDENTIAL = 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=';

describe('signSigV4 (AWS test vectors)', () => {
  it('get-vanilla: GET / signs host and x-amz-date with the published signature', () => {
    const headers = signSigV4({ ...SUITE, method: 'GET', url: new URL('https://example.amazonaws.com/'), headers: {} });
    expect(headers).to.deep.equal({ 'x-amz-date': '20150830T123600Z', authorization: `${SUITE_CREDENTIAL}5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31` });
  });

  it('get-vanilla-query-order-key-case: query parameters are sorted before signing', () => {
    const headers = signSigV4({ ...SUITE, method: 'GET', url: new URL('https://example.amazonaws.com/?Param2=value2&Param1=value1'), headers: {} });
    expect(headers['authorization']).to.equal(`${SUITE_CREDENTIAL}b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500`);
  });

  it("S3's GET Object example: range header signed, payload hash sent as x-amz-content-sha256", () => {
    // AWS S3 API reference, "Examples: Signature Calculations in AWS Signature Version 4", GET Object.
    const headers = signSigV4({
      method: 'GET',
      url: new URL('https://examplebucket.s3.amazonaws.com/test.txt'),
      headers: { Range: 'bytes=0-9' },
      credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
      region: 'us-east-1',
      service: 's3',
      now: new Date('2013-05-24T00:00:00Z'),
    });
    expect(headers['x-amz-content-sha256']).to.equal('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(headers['authorization']).to.equal(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
  });

  it('temporary credentials add x-amz-security-token, which is signed', () => {
    const headers = signSigV4({ ...SUITE, credentials: { ...SUITE.credentials, sessionToken: 'session-token-abc' }, method: 'GET', url: new URL('https://example.amazonaws.com/'), headers: {} });
    expect(headers['x-amz-security-token']).to.equal('session-token-abc');
    expect(headers['authorization']).to.include('SignedHeaders=host;x-amz-date;x-amz-security-token,');
  });
});
