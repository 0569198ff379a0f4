/**
 * The messages of the browser WebSocket (API.md §4), as `@nangohq/frontend` reads them: it switches
 * on `message_type` (`connection_ack` → opens the popup with `ws_client_id`; `success` / `error` →
 * resolves or rejects and closes the socket) and ignores anything else. It never sends anything.
 */
import { providerUnavailableCode } from '../../provider-unavailable-error';

export interface ConnectionAckMessage {
  message_type: 'connection_ack';
  ws_client_id: string;
}

export interface SuccessMessage {
  message_type: 'success';
  provider_config_key: string;
  connection_id: string;
  is_pending: false;
}

export interface ErrorMessage {
  message_type: 'error';
  provider_config_key: string;
  connection_id: string;
  error_type: string;
  error_desc: string;
}

export type AuthSocketMessage = ConnectionAckMessage | SuccessMessage | ErrorMessage;

/** How an authorization attempt ended, as the browser is told (never a secret). */
export type AuthOutcome =
  | { ok: true; providerConfigKey: string; connectionId: string }
  | { ok: false; providerConfigKey: string; connectionId: string; errorType: string; errorDesc: string };

/** The first message on a socket: the id the browser passes to /oauth/connect. */
export function connectionAck(wsClientId: string): ConnectionAckMessage {
  return { message_type: 'connection_ack', ws_client_id: wsClientId };
}

/** The success or error message for an attempt's outcome. */
export function outcomeMessage(outcome: AuthOutcome): SuccessMessage | ErrorMessage {
  if (outcome.ok) {
    return { message_type: 'success', provider_config_key: outcome.providerConfigKey, connection_id: outcome.connectionId, is_pending: false };
  }
  return {
    message_type: 'error',
    provider_config_key: outcome.providerConfigKey,
    connection_id: outcome.connectionId,
    // The same code the callback page and the direct flows answer: provider_unreachable / provider_timeout for a provider's trouble.
    error_type: providerUnavailableCode(outcome.errorType) ?? outcome.errorType,
    error_desc: outcome.errorDesc,
  };
}
