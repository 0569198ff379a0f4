/**
 * The URL of the OAuth Client ID Metadata Document Custodian serves for an integration, which MCP
 * modes present as their `client_id` (draft-ietf-oauth-client-id-metadata-document):
 * `SERVER_URL/mcp/client-metadata/<environment id>/<integration key>.json`.
 *
 * The environment's id, not its name: the URL is public and permanent (an authorization server caches
 * clients by it), and a renamed environment must keep its clients. The key is percent-encoded (keys may
 * hold `:`, `@`, spaces). The `.json` ending is the draft's example shape, and names what is served.
 */
import type { Config } from '../config';
import type { EnvironmentEntity } from '../db/entities';

/** The route's path pattern. */
export const CLIENT_METADATA_ROUTE = '/mcp/client-metadata/:environmentId/:document';
export const CLIENT_METADATA_SUFFIX = '.json';

/** The document URL of `integrationKey` in `environment`. */
export function clientMetadataUrlFor(environment: Pick<EnvironmentEntity, 'id'>, integrationKey: string, config: Pick<Config, 'serverUrl'>): string {
  return `${config.serverUrl.replace(/\/+$/, '')}/mcp/client-metadata/${environment.id}/${encodeURIComponent(integrationKey)}${CLIENT_METADATA_SUFFIX}`;
}
