/** `/providers`: the catalog (API.md §3), and a generated logo per provider. */
import Router from '@koa/router';
import { z } from 'zod';
import { NotFoundError } from '../../errors';
import { requireSecretKeyOrSession } from '../auth/authenticate';
import type { ApiDeps, ApiState } from '../context';
import { providerLogoSvg } from '../presenters/provider-logo';
import { presentProvider } from '../presenters/provider';
import { validate } from '../validation';
import { doc } from '../openapi/route-doc';
import { providerBody, providerListBody } from '../schemas/responses';

const nameParams = z.object({ provider: z.string().min(1).max(255).regex(/^[a-zA-Z0-9_-]+$/, 'may contain letters, digits, _ and -') });
const searchQuery = z.object({ search: z.string().max(255).optional() });
/** `<provider name>.svg`: a name of at most 255 characters and the extension. */
const logoParams = z.object({ file: z.string().min(1).max(259) });

/** The provider routes. */
export function providersRouter(deps: ApiDeps): Router<ApiState> {
  const router = new Router<ApiState>();
  const { catalog, config } = deps;

  router.get('/providers', doc({
    summary: 'The provider catalog, optionally searched by name, display name or category',
    query: searchQuery,
    responses: { 200: { description: 'Providers, sorted by name', schema: providerListBody } },
  }), requireSecretKeyOrSession(deps), (ctx) => {
    const { search } = validate(searchQuery, ctx.query, 'invalid_query_params');
    const listings = search ? catalog.search(search) : catalog.list();
    ctx.body = { data: listings.map((l) => presentProvider(config.serverUrl, l.name, l.entry)) };
  });

  router.get('/providers/:provider', doc({
    summary: 'One catalog entry',
    params: nameParams,
    responses: { 200: { description: 'The provider', schema: providerBody } },
    errors: ['not_found'],
  }), requireSecretKeyOrSession(deps), (ctx) => {
    const { provider } = validate(nameParams, ctx.params, 'invalid_uri_params');
    const entry = catalog.get(provider);
    if (!entry) throw new NotFoundError(`Provider "${provider}" does not exist`);
    ctx.body = { data: presentProvider(config.serverUrl, provider, entry) };
  });

  // Public, like any image: the Connect UI and backends show it without credentials.
  router.get('/logos/:file', doc({
    summary: 'A provider\'s generated logo (`<provider>.svg`)',
    params: logoParams,
    responses: { 200: { description: 'The logo', contentType: 'image/svg+xml' } },
    errors: ['not_found'],
  }), (ctx) => {
    const { file } = validate(logoParams, ctx.params, 'invalid_uri_params');
    const match = /^([a-zA-Z0-9_-]+)\.svg$/.exec(file);
    const entry = match ? catalog.get(match[1]!) : undefined;
    if (!match || !entry) throw new NotFoundError('No such logo');
    ctx.type = 'image/svg+xml';
    ctx.set('Cache-Control', 'public, max-age=86400');
    ctx.body = providerLogoSvg(match[1]!, entry.display_name);
  });

  return router;
}
