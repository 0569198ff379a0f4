/**
 * The dev-mode demo: the demo provider on loopback, its `custodian-demo` catalog entry, a `demo`
 * integration in the `dev` environment and a fresh connect session whose link the banner prints.
 * The integration and the session are made through the API itself, as a user would.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { extendCatalog, type Catalog } from '../../providers/load-catalog';
import { DEMO_PROVIDER_NAME, demoCatalogEntry } from './demo-catalog-entry';
import { DEMO_CLIENT, DEMO_USER, startDemoProvider, type DemoProvider } from './demo-provider';

/** Unique key of the integration the demo creates in the `dev` environment. */
export const DEMO_INTEGRATION_KEY = 'demo';

const KEY_FILE = 'demo-provider.key';

/** The demo provider's signing key, created once under the data directory (so tokens survive a restart). */
function demoKey(dataDir: string): Buffer {
  const file = path.join(dataDir, KEY_FILE);
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
  }
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
}

export interface RunningDemoProvider {
  provider: DemoProvider;
  /** The catalog with `custodian-demo` added. */
  catalog: Catalog;
}

/** Starts the demo provider and adds its entry to the catalog. */
export async function startDevDemoProvider(options: { dataDir: string; catalog: Catalog }): Promise<RunningDemoProvider> {
  const provider = await startDemoProvider({ key: demoKey(options.dataDir) });
  return { provider, catalog: extendCatalog(options.catalog, { [DEMO_PROVIDER_NAME]: demoCatalogEntry(provider.url) }) };
}

async function call(apiUrl: string, secretKey: string, method: string, route: string, body?: unknown): Promise<{ status: number; json: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any -- the API's own JSON
  const response = await fetch(`${apiUrl}${route}`, {
    method,
    headers: { authorization: `Bearer ${secretKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
}

/** A ready connect link for the demo integration. */
export interface DemoConnectLink {
  connectLink: string;
  expiresAt: string;
}

/** Creates the `demo` integration when missing, then a connect session limited to it. */
export async function prepareDemoConnectLink(options: { apiUrl: string; secretKey: string }): Promise<DemoConnectLink> {
  const { apiUrl, secretKey } = options;
  const existing = await call(apiUrl, secretKey, 'GET', `/integrations/${DEMO_INTEGRATION_KEY}`);
  if (existing.status === 404) {
    const created = await call(apiUrl, secretKey, 'POST', '/integrations', {
      provider: DEMO_PROVIDER_NAME,
      unique_key: DEMO_INTEGRATION_KEY,
      display_name: 'Demo',
      credentials: { type: 'OAUTH2', client_id: DEMO_CLIENT.id, client_secret: DEMO_CLIENT.secret },
    });
    if (created.status !== 200) throw new Error(`could not create the demo integration: ${created.status} ${JSON.stringify(created.json)}`);
  } else if (existing.status !== 200) {
    throw new Error(`could not read the demo integration: ${existing.status} ${JSON.stringify(existing.json)}`);
  }
  const session = await call(apiUrl, secretKey, 'POST', '/connect/sessions', {
    end_user: { id: DEMO_USER.id, email: DEMO_USER.email, display_name: DEMO_USER.name },
    allowed_integrations: [DEMO_INTEGRATION_KEY],
  });
  if (session.status !== 201) throw new Error(`could not create the demo connect session: ${session.status} ${JSON.stringify(session.json)}`);
  return { connectLink: session.json.data.connect_link as string, expiresAt: session.json.data.expires_at as string };
}
