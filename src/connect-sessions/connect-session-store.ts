/** Connect sessions: created with a fresh token (only its SHA-256 hash is stored), revoked by expiring them. */
import type { DataSource, Repository } from 'typeorm';
import { generateSessionToken } from '../api/auth/connect-session-token';
import type { EndUser } from '../connections/connection-store';
import { ConnectSessionEntity } from '../db/entities';
import { hashToken } from '../environments/secret-key';

/** How long a session token works (API.md §0): 30 minutes, reusable until then. */
export const CONNECT_SESSION_TTL_MS = 30 * 60 * 1000;

export interface NewSession {
  environmentId: string;
  endUser: EndUser | null;
  organization: { id: string; display_name?: string } | null;
  tags: Record<string, string>;
  /** Null: every integration of the environment. */
  allowedIntegrations: string[] | null;
  integrationsConfigDefaults: Record<string, unknown> | null;
  webhookUrlOverride: string | null;
  /** Set for a reconnect session: the connection row it re-authorizes. */
  connectionRowId: string | null;
}

export class ConnectSessionStore {
  private readonly repo: Repository<ConnectSessionEntity>;

  constructor(db: DataSource, private readonly now: () => Date = () => new Date()) {
    this.repo = db.getRepository(ConnectSessionEntity);
  }

  /** Stores a session and returns its token; the token itself is never written anywhere. */
  async create(fields: NewSession): Promise<{ token: string; session: ConnectSessionEntity }> {
    const token = generateSessionToken();
    const session = await this.repo.save(this.repo.create({
      ...fields,
      endUser: fields.endUser as Record<string, unknown> | null,
      organization: fields.organization as Record<string, unknown> | null,
      tokenHash: hashToken(token),
      expiresAt: new Date(this.now().getTime() + CONNECT_SESSION_TTL_MS),
    }));
    return { token, session };
  }

  /**
   * Ends a session now. The row is expired rather than deleted so that authorization attempts started
   * with it keep their link to it (auth_attempt.session_id) for the rest of their short life.
   */
  async revoke(session: ConnectSessionEntity): Promise<void> {
    await this.repo.update({ id: session.id }, { expiresAt: this.now() });
  }
}
