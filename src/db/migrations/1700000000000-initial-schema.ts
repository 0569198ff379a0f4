import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Every table of DESIGN.md §3. Plain SQL that runs unchanged on PostgreSQL and PGlite (gen_random_uuid is built in). */
export class InitialSchema1700000000000 implements MigrationInterface {
  name = 'InitialSchema1700000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE environment (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name varchar(64) NOT NULL UNIQUE,
      secret_key_hash char(64) NOT NULL UNIQUE,
      secret_key_encrypted text NOT NULL,
      webhook_signing_key_encrypted text NOT NULL,
      webhook_primary_url text, webhook_secondary_url text,
      on_auth_creation boolean NOT NULL DEFAULT true,
      on_auth_refresh_error boolean NOT NULL DEFAULT true,
      on_auth_refresh_recovered boolean NOT NULL DEFAULT false,
      on_connection_deleted boolean NOT NULL DEFAULT false,
      callback_url text,
      connect_ui_theme varchar(16) NOT NULL DEFAULT 'system',
      connect_ui_primary_color varchar(32), connect_ui_logo_url text,
      created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE TABLE integration (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      environment_id uuid NOT NULL REFERENCES environment(id) ON DELETE CASCADE,
      unique_key varchar(255) NOT NULL, provider varchar(255) NOT NULL, display_name varchar(255),
      client_id text, client_secret_encrypted text, scopes jsonb NOT NULL DEFAULT '[]',
      custom jsonb NOT NULL DEFAULT '{}', forward_webhooks boolean NOT NULL DEFAULT true,
      created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT integration_env_key UNIQUE (environment_id, unique_key))`);
    await q.query(`CREATE TABLE connection (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      environment_id uuid NOT NULL REFERENCES environment(id) ON DELETE CASCADE,
      integration_id uuid NOT NULL REFERENCES integration(id) ON DELETE CASCADE,
      connection_id varchar(255) NOT NULL,
      credentials_encrypted text NOT NULL,
      credentials_version integer NOT NULL DEFAULT 1,
      expires_at timestamptz,
      status varchar(16) NOT NULL DEFAULT 'active' CHECK (status IN ('active','degraded','invalid')),
      last_refresh_success_at timestamptz, last_refresh_failure_at timestamptz, last_refresh_failure_reason text,
      connection_config jsonb NOT NULL DEFAULT '{}', metadata jsonb, tags jsonb NOT NULL DEFAULT '{}',
      end_user jsonb, webhook_url_override text, last_fetched_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz)`);
    // The hot-path lookup: environment + integration + connection id, among live rows only.
    await q.query(`CREATE UNIQUE INDEX connection_live_key ON connection (environment_id, integration_id, connection_id) WHERE deleted_at IS NULL`);
    await q.query(`CREATE INDEX connection_env_created ON connection (environment_id, created_at DESC) WHERE deleted_at IS NULL`);
    await q.query(`CREATE TABLE connect_session (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      token_hash char(64) NOT NULL UNIQUE,
      environment_id uuid NOT NULL REFERENCES environment(id) ON DELETE CASCADE,
      end_user jsonb, organization jsonb, tags jsonb NOT NULL DEFAULT '{}',
      allowed_integrations jsonb, integrations_config_defaults jsonb, webhook_url_override text,
      connection_row_id uuid REFERENCES connection(id) ON DELETE CASCADE,
      expires_at timestamptz NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE TABLE auth_attempt (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      environment_id uuid NOT NULL REFERENCES environment(id) ON DELETE CASCADE,
      session_id uuid REFERENCES connect_session(id) ON DELETE SET NULL,
      integration_id uuid NOT NULL REFERENCES integration(id) ON DELETE CASCADE,
      connection_id varchar(255) NOT NULL,
      pkce_verifier_encrypted text, request_token_secret_encrypted text, callback_params_encrypted text,
      status varchar(16) NOT NULL DEFAULT 'pending', error_code varchar(64), error_message text, ws_client_id varchar(64),
      expires_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE TABLE operation_log (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      environment_id uuid NOT NULL REFERENCES environment(id) ON DELETE CASCADE,
      connection_row_id uuid REFERENCES connection(id) ON DELETE CASCADE,
      auth_attempt_id uuid REFERENCES auth_attempt(id) ON DELETE CASCADE,
      type varchar(64) NOT NULL, level varchar(8) NOT NULL, message text NOT NULL,
      context jsonb NOT NULL DEFAULT '{}', created_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE INDEX operation_log_connection_time ON operation_log (connection_row_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX operation_log_attempt_time ON operation_log (auth_attempt_id, created_at DESC, id DESC)`);
    await q.query(`CREATE TABLE webhook_delivery (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      event_id uuid NOT NULL UNIQUE,
      environment_id uuid NOT NULL REFERENCES environment(id) ON DELETE CASCADE,
      connection_row_id uuid REFERENCES connection(id) ON DELETE SET NULL,
      target_url text NOT NULL, payload jsonb NOT NULL, attempts integer NOT NULL DEFAULT 0,
      last_status integer, last_error text, status varchar(16) NOT NULL DEFAULT 'pending', next_retry_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now())`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['webhook_delivery', 'operation_log', 'auth_attempt', 'connect_session', 'connection', 'integration', 'environment']) {
      await q.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
