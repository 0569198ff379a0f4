/** Types of error-messages.js (the browser module has no build step; these let TypeScript tests import it). */

export type ErrorAction = 'retry' | 'fix' | 'restart' | 'contact';

export interface ErrorFacts {
  code?: string | null;
  /** The integration's display name. */
  name?: string | null;
  /** Titles of the credential fields the end user typed ("API key"; "Username", "Password"). */
  credentials?: readonly string[] | null;
  status?: number | null;
  errorId?: string | null;
  hasFieldErrors?: boolean;
}

export interface HumanError {
  code: string;
  title: string;
  message: string;
  action: ErrorAction;
  retryable: boolean;
  detail: string | null;
}

export declare const KNOWN_ERROR_CODES: readonly string[];
export declare function credentialWords(titles: readonly string[] | null | undefined): { what: string; pronoun: string };
export declare function humanError(error: ErrorFacts): HumanError;
export declare function errorIdOf(body: unknown): string | null;
