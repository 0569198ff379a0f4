/**
 * Transitional: the connect styles of the first five modes until they are full strategies (the
 * "Strategies:" commit gives each its own `connect`; then this file goes). Routes and bodies as
 * `src/api/routes/auth-flows.ts` mounts them, titled for the Connect UI.
 */
import { z } from 'zod';
import type { ConnectStyle } from '../../../providers/auth-modes';

const REDIRECT: ConnectStyle = { kind: 'redirect' };

const LEGACY: Readonly<Record<string, ConnectStyle>> = {
  OAUTH2: REDIRECT,
  OAUTH1: REDIRECT,
  API_KEY: { kind: 'form', routes: ['/api-auth/api-key/:key'], body: z.object({ apiKey: z.string().min(1).meta({ title: 'API key', secret: true }) }) },
  BASIC: {
    kind: 'form',
    routes: ['/api-auth/basic/:key'],
    body: z.object({ username: z.string().min(1).meta({ title: 'Username' }), password: z.string().meta({ title: 'Password', secret: true }) }),
  },
  OAUTH2_CC: {
    kind: 'form',
    routes: ['/oauth2/auth/:key'],
    body: z.object({ client_id: z.string().min(1).meta({ title: 'Client ID' }), client_secret: z.string().min(1).meta({ title: 'Client secret', secret: true }) }),
  },
  NONE: { kind: 'form', routes: ['/auth/unauthenticated/:key'], body: z.object({}) },
};

/** The connect style of a mode that has no full strategy yet, or undefined. */
export function legacyConnectStyle(authMode: string): ConnectStyle | undefined {
  return Object.hasOwn(LEGACY, authMode) ? LEGACY[authMode] : undefined;
}
