/** OAUTH2_CC: OAuth 2.0 client credentials grant (RFC 6749 §4.4). No browser step; the token is minted later. */
import type { OAuth2ClientCredentialsStrategy } from './auth-mode';

/** The OAUTH2_CC strategy. */
export const oauth2ClientCredentials: OAuth2ClientCredentialsStrategy = {
  authMode: 'OAUTH2_CC',
};
