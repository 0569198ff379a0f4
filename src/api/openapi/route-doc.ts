/**
 * What a route says about itself for the OpenAPI document: `doc({...})` is a pass-through middleware
 * placed first in the route's chain, carrying the same zod schemas the handler validates with and the
 * error codes it may answer. Authentication, rate limits and body reading are not restated here: the
 * document reads them off the route's own middleware ({@link routeTrait}).
 */
import type { Middleware } from 'koa';
import type { z } from 'zod';
import type { ErrorCode } from '../../error-catalogue';

/** A success answer of a route. */
export interface ResponseDoc {
  description: string;
  /** The JSON body (omitted: no body, or `contentType` says what it is). */
  schema?: z.ZodType;
  /** Default `application/json` when a schema is given. */
  contentType?: string;
  /** Response headers worth naming (e.g. `Location` of a redirect). */
  headers?: Readonly<Record<string, string>>;
}

/** An error a route may answer: its code, or a code with one of its named variants (error-catalogue.ts). */
export type ErrorRef = ErrorCode | { readonly code: ErrorCode; readonly variant: string };

/** A route's description; schemas are the ones its handler passes to `validate`. */
export interface RouteDoc {
  summary: string;
  description?: string;
  /** Groups operations in viewers; defaults to the path's first segment. */
  tag?: string;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** The body may be left out (routes reading it with `bodyOrEmpty`). */
  bodyOptional?: boolean;
  /** By status. */
  responses: Readonly<Record<number, ResponseDoc>>;
  /** Errors beyond those the document derives from auth, schemas and limits (see build-document.ts). */
  errors?: readonly ErrorRef[];
  /** Errors are (also) answered as an HTML page: always (the OAuth callback) or to browsers (`Accept: text/html`). */
  errorPage?: 'always' | 'browsers';
  /** The route is a legacy alias kept for older clients. */
  deprecated?: boolean;
}

const ROUTE_DOC = Symbol('custodian.routeDoc');
const ROUTE_TRAIT = Symbol('custodian.routeTrait');

/** How a route authenticates its caller, as its middleware says. */
export type AuthTrait = 'secret_key' | 'connect_session' | 'secret_key_or_session';

/** What a middleware tells the document about its route. */
export type RouteTrait =
  | { readonly kind: 'auth'; readonly auth: AuthTrait }
  | { readonly kind: 'rate_limit' }
  | { readonly kind: 'json_body' }
  | { readonly kind: 'browser_page' };

type Tagged = { [ROUTE_DOC]?: RouteDoc; [ROUTE_TRAIT]?: RouteTrait };

/** The pass-through middleware carrying a route's description. */
export function doc(spec: RouteDoc): Middleware {
  const middleware: Middleware = (_ctx, next) => next();
  return Object.assign(middleware, { [ROUTE_DOC]: spec });
}

/** The description a middleware carries, if it is a {@link doc}. */
export function routeDocOf(middleware: unknown): RouteDoc | undefined {
  return (middleware as Tagged | undefined)?.[ROUTE_DOC];
}

/** Marks a middleware with what it means for its route (auth, rate limit, JSON body) and returns it. */
export function routeTrait<M extends object>(middleware: M, trait: RouteTrait): M {
  return Object.assign(middleware, { [ROUTE_TRAIT]: trait });
}

/** The trait a middleware was marked with. */
export function routeTraitOf(middleware: unknown): RouteTrait | undefined {
  return (middleware as Tagged | undefined)?.[ROUTE_TRAIT];
}
