/**
 * The demo provider's codes and tokens: HMAC-signed, self-describing strings, so the provider keeps no
 * state and a restart of `npm run dev` (same data directory, same key) still accepts what it issued.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export type DemoTokenKind = 'code' | 'access' | 'refresh';

const PREFIX: Record<DemoTokenKind, string> = { code: 'demo_code_', access: 'demo_at_', refresh: 'demo_rt_' };

/** What a code or token says about itself. */
export interface DemoClaims {
  /** The demo user it belongs to. */
  sub: string;
  /** Expiry, ms since the epoch. */
  exp: number;
  /** Unique per issue, so two tokens issued in the same millisecond differ. */
  jti: string;
  scope: string;
  /** Codes only: where the code was sent and the PKCE challenge it is bound to (RFC 7636 §4.4). */
  redirect_uri?: string;
  code_challenge?: string;
  client_id?: string;
}

/** Signs and checks demo codes and tokens with one key. */
export class DemoTokens {
  constructor(private readonly key: Buffer) {}

  issue(kind: DemoTokenKind, claims: Omit<DemoClaims, 'jti'>): string {
    const body = Buffer.from(JSON.stringify({ ...claims, jti: randomBytes(9).toString('base64url') })).toString('base64url');
    return `${PREFIX[kind]}${body}.${this.sign(kind, body)}`;
  }

  /** The claims of a well-signed, unexpired value of that kind, else undefined. */
  read(kind: DemoTokenKind, value: string | undefined, now = Date.now()): DemoClaims | undefined {
    if (!value?.startsWith(PREFIX[kind])) return undefined;
    const [body, signature] = value.slice(PREFIX[kind].length).split('.');
    if (!body || !signature) return undefined;
    const expected = Buffer.from(this.sign(kind, body));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as DemoClaims;
    return claims.exp > now ? claims : undefined;
  }

  private sign(kind: DemoTokenKind, body: string): string {
    return createHmac('sha256', this.key).update(`${kind}.${body}`).digest('base64url');
  }
}
