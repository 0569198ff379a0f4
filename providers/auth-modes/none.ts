/** NONE: public APIs; nothing to obtain, refresh or verify. */
import { z } from 'zod';
import type { NoCredentials } from '../credentials';
import type { AuthModeStrategy } from './auth-mode';

const NO_CREDENTIALS: NoCredentials = Object.freeze({ type: 'NONE' });

/** The NONE strategy. */
export const none: AuthModeStrategy<NoCredentials> = {
  authMode: 'NONE',
  connect: { kind: 'form', routes: ['/auth/unauthenticated/:key'], body: z.object({}) },
  completing: 'recording the connection',
  complete: async () => ({ credentials: { type: 'NONE' }, expiresAt: null, connectionConfig: {} }),
  importSchema: z.object({ type: z.literal('NONE') }),
  fromImport: () => ({ ...NO_CREDENTIALS }),
  fromLegacyImport: () => ({ ...NO_CREDENTIALS }),
  checksImports: false,
  upkeep: () => ({ kind: 'none', beforeExpiry: true }),
  renew: async () => ({ kind: 'verified' }),
  expiresAt: () => null,
  authorize: (request) => request,
  secretsOf: () => [],
};
