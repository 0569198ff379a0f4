import { expect } from 'chai';
import type { Context } from 'koa';
import { bindFlowToBrowser, clearFlowBinding, isBoundToBrowser } from '../../../src/api/flow-binding';

const STATE = '3b241101-e2bb-4255-8caf-4136c566a962';

/** The little of a Koa context the binding reads and writes. */
function context(cookie = ''): Context & { setCookies: string[] } {
  const setCookies: string[] = [];
  return { setCookies, get: (name: string) => (name === 'cookie' ? cookie : ''), append: (_: string, value: string) => setCookies.push(value) } as unknown as Context & { setCookies: string[] };
}

describe('flow binding cookie (issue 10 item 6)', () => {
  it('security: the cookie is HttpOnly, SameSite=Lax, Path=/oauth, lives as long as the attempt, and is Secure behind an https SERVER_URL', () => {
    const plain = context();
    bindFlowToBrowser(plain, STATE, 'http://127.0.0.1:3003', new Date(Date.now() + 15 * 60_000));
    expect(plain.setCookies[0]).to.match(/^custodian_flow_[\w-]{16}=[\w-]{43}; Path=\/oauth; Max-Age=900; HttpOnly; SameSite=Lax$/);
    expect(plain.setCookies[0]).to.not.include(STATE);
    const tls = context();
    bindFlowToBrowser(tls, STATE, 'https://custodian.example.com', new Date(Date.now() + 15 * 60_000));
    expect(tls.setCookies[0]).to.match(/; HttpOnly; SameSite=Lax; Secure$/);
    const cleared = context();
    clearFlowBinding(cleared, STATE, 'https://custodian.example.com');
    expect(cleared.setCookies[0]).to.match(/^custodian_flow_[\w-]{16}=; Path=\/oauth; Max-Age=0; HttpOnly; SameSite=Lax; Secure$/);
  });

  it("security: only the state's own cookie, with the state's hash, binds the callback (another state's cookie or a forged value does not)", () => {
    const started = context();
    bindFlowToBrowser(started, STATE, 'http://127.0.0.1:3003', new Date(Date.now() + 60_000));
    const pair = started.setCookies[0]!.split(';')[0]!;
    const [name, value] = pair.split('=') as [string, string];
    expect(isBoundToBrowser(context(`other=1; ${pair}; x=y`), STATE)).to.equal(true);
    expect(isBoundToBrowser(context(''), STATE)).to.equal(false);
    expect(isBoundToBrowser(context(pair), '3b241101-e2bb-4255-8caf-4136c566a963')).to.equal(false);
    expect(isBoundToBrowser(context(`${name}=${value.slice(0, -1)}A`), STATE)).to.equal(false);
    expect(isBoundToBrowser(context(`${name}=${STATE}`), STATE)).to.equal(false);
  });
});
