/** The OAuth redirect URI of an environment: its configured callback URL, else the API's own `/oauth/callback`. */
import type { Config } from '../config';
import type { EnvironmentEntity } from '../db/entities';

export function callbackUrlFor(environment: Pick<EnvironmentEntity, 'callbackUrl'>, config: Pick<Config, 'serverUrl'>): string {
  return environment.callbackUrl ?? `${config.serverUrl}/oauth/callback`;
}
