/** What crosses the boundary of an authorization workflow: input, signal, query, result. Never a secret. */
import { defineQuery, defineSignal } from '@temporalio/workflow';

export type AuthorizationStatus = 'pending' | 'exchanging' | 'succeeded' | 'failed';

export interface AuthorizationInput {
  /** Primary key of the `auth_attempt` row (also the OAuth `state`). */
  attemptId: string;
  providerConfigKey: string;
  connectionId: string;
  /** Redirect flows wait for the browser's callback; direct flows (API key, basic…) go straight on. */
  waitForCallback: boolean;
  /** How long a redirect flow waits for its callback. */
  timeoutMs: number;
}

export interface AuthorizationState {
  status: AuthorizationStatus;
  providerConfigKey: string;
  connectionId: string;
  /** `creation` or `override`, once stored. */
  operation: 'creation' | 'override' | null;
  errorCode: string | null;
  errorMessage: string | null;
}

/** How many times the authorization workflow asks a provider that is unavailable before the attempt fails. */
export const PROVIDER_ATTEMPTS = 3;

/** The API stored the callback parameters (encrypted) on the attempt row. */
export const callbackReceivedSignal = defineSignal<[]>('callbackReceived');
export const authorizationStateQuery = defineQuery<AuthorizationState>('state');

export function authorizationWorkflowId(attemptId: string): string {
  return `authorization:${attemptId}`;
}
