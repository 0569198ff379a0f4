/** What a form flow answers once its connection is made (API.md §4; what `@nangohq/frontend` reads). */
import type { AttemptOutcome } from '../../authorization/authorization-service';

export function presentAuthOutcome(outcome: AttemptOutcome): { connectionId: string; providerConfigKey: string } {
  return { connectionId: outcome.connectionId, providerConfigKey: outcome.providerConfigKey };
}
