/** Non-secret shapes the connection activities exchange with the workflow. */
import type { UpkeepKind } from '../providers/credentials';
import type { ConnectionStatus } from '../workflows/connection-messages';

export type { UpkeepKind };

/** What the workflow needs to schedule a connection (read from the row; no secret). */
export interface ConnectionSnapshot {
  status: ConnectionStatus;
  expiresAt: string | null;
  upkeep: UpkeepKind;
  /** OAUTH2 only: whether a refresh token is stored. */
  hasRefreshToken: boolean;
  /** Refresh this long before expiry (REFRESH_MARGIN or the provider's token_expiration_buffer). */
  marginMs: number;
  verifyIntervalMs: number;
  /**
   * REFRESH_FLOOR: a `refresh` Update this soon after the last provider call answers with the current state.
   * Absent from snapshots recorded before the floor existed (no floor).
   */
  refreshFloorMs?: number;
  /** The row's `credentials_version` when read (absent from snapshots recorded before it was added). */
  credentialsVersion?: number;
  environment: string;
  integration: string;
  integrationDisplayName: string;
  provider: string;
  authMode: string;
  connectionId: string;
  endUserId: string | null;
  endUserDisplayName: string | null;
}

export type RefreshOutcome =
  /**
   * New credentials stored. `idleUntil` (REFRESH_POLICY=by-use, scheduled renewals): nobody will have read
   * the connection within the window by the new credentials' refresh point, so the next renewal is this
   * keep-alive, unless a read that finds the token due comes first.
   */
  | { result: 'refreshed'; expiresAt: string | null; refreshedAt: string; idleUntil?: string }
  /** Credentials checked and still good. */
  | { result: 'verified'; expiresAt: string | null; verifiedAt: string }
  /** Another writer stored credentials while this attempt ran: nothing failed. */
  | { result: 'superseded'; expiresAt: string | null }
  /** The provider said no for good; the row is now `invalid`. */
  | { result: 'invalid'; errorCode: string }
  /** The connection row is gone (deleted). */
  | { result: 'gone' }
  /** REFRESH_POLICY=by-use: nobody read the connection lately; nothing was sent. Renew at `idleUntil` at the latest. */
  | { result: 'idle'; idleUntil: string };

export interface RefreshInput {
  connectionRowId: string;
  /** The workflow's clock: expiries are computed from it, never from the activity's wall clock. */
  nowMs: number;
  /**
   * Set on a scheduled renewal (never on a caller's Update): under REFRESH_POLICY=by-use a connection
   * nobody read lately answers `idle` instead, until its keep-alive. `renewedAt`: when the workflow last
   * stored or renewed these credentials (ISO).
   */
  unlessIdle?: { renewedAt: string };
}

export interface FailureInput {
  connectionRowId: string;
  nowMs: number;
  errorCode: string;
  message: string;
  /** The token has expired without a successful refresh. */
  degraded: boolean;
}

export type ConnectionWebhookKind = 'refresh_failed' | 'refresh_recovered';

export interface ConnectionWebhookInput {
  connectionRowId: string;
  kind: ConnectionWebhookKind;
  errorCode?: string;
  errorMessage?: string;
}
