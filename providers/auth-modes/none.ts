/** NONE: the provider needs no credentials. */
import type { NoneStrategy } from './auth-mode';

/** The NONE strategy. */
export const none: NoneStrategy = {
  authMode: 'NONE',
};
