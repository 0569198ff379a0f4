/**
 * The OAuth Client ID Metadata Document (draft-ietf-oauth-client-id-metadata-document, MCP 2025-11-25)
 * Custodian serves for an MCP integration: an authorization server that meets our URL as `client_id`
 * fetches it and checks that its `client_id` is that URL and that the redirect URI is listed. It names a
 * public client and only non-secret metadata.
 */

/** What the document says. */
export interface ClientMetadataInput {
  /** The document's own URL, exactly as sent as `client_id`. */
  readonly clientId: string;
  /** The environment's callback URL. */
  readonly redirectUri: string;
  /** Shown on the authorization server's consent screen. */
  readonly clientName: string;
}

/** The document's JSON body. */
export function clientMetadataDocument(input: ClientMetadataInput): Record<string, unknown> {
  return {
    client_id: input.clientId,
    client_name: input.clientName,
    redirect_uris: [input.redirectUri],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    // A public client: the document has no keys to sign with, and PKCE protects the code.
    token_endpoint_auth_method: 'none',
  };
}
