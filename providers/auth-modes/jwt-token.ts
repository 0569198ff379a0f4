/**
 * Making a JWT from an entry's `token` block (Nango's JWT mode): its header and payload templates
 * filled from the stored fields and connection config, `iat` and `exp` from the caller's clock and
 * `token.expires_in_ms`, signed with `token.signing_key` as `signature.protocol` says. No provider call.
 */
import { ConnectionConfigError, CustodianError } from '../../src/errors';
import type { JwtAlgorithm, ProviderEntry } from '../catalog-schema';
import { interpolateLocalToken } from '../interpolate';
import { lookupValue } from '../placeholder-values';
import { invalidSigningKey } from '../private-key';
import { parseTemplate, placeholdersOf, type Placeholder } from '../template';
import type { ConnectionConfig } from './auth-mode';
import { signJwt, type JwtKey } from './jwt-signing';

/** A freshly signed token and when it stops being accepted. */
export interface MintedJwt {
  readonly token: string;
  readonly expiresAt: Date;
}

/** What a JWT is made from. */
export interface JwtMintInput {
  readonly entry: ProviderEntry;
  /** The connection's stored fields (`privateKey`, `issuerId`…), without `type`, `token` and `expires_at`. */
  readonly fields: Readonly<Record<string, unknown>>;
  readonly connectionConfig: ConnectionConfig;
  readonly now: Date;
}

const HEX_BYTES = /^(?:[0-9a-fA-F]{2})+$/;
// Token templates read `||` as text (see TemplateOptions.literalOr).
const LITERAL_OR = { literalOr: true } as const;

/** Signs a new token for the entry; throws `missing_connection_config` / `invalid_signing_key` naming the field at fault. */
export function mintJwt(input: JwtMintInput): MintedJwt {
  const token = requireToken(input.entry);
  const issuedAt = Math.floor(input.now.getTime() / 1000);
  const expiresAt = new Date(input.now.getTime() + token.expires_in_ms);
  const claims: Record<string, unknown> = {};
  for (const [name, template] of Object.entries(token.payload ?? {})) {
    const value = typeof template === 'string' ? optionalValue(template, input) : listClaim(template, input);
    if (value !== undefined) claims[name] = value;
  }
  claims['iat'] = issuedAt;
  claims['exp'] = Math.floor(expiresAt.getTime() / 1000);
  // jsonwebtoken, which Nango signs with, writes `typ: JWT` unless told otherwise; some providers check it.
  const header: Record<string, string> = { typ: 'JWT' };
  for (const [name, template] of Object.entries(token.header ?? {})) {
    if (name === 'alg') continue;
    const value = optionalValue(template, input);
    if (value !== undefined) header[name] = value;
  }
  const signed = signJwt({ algorithm: token.header?.['alg'] as JwtAlgorithm, key: signingKey(input), keyField: signingKeyField(input.entry), header, claims });
  return { token: signed, expiresAt };
}

/** Every credential field the entry's token templates read (`privateKey` for `${credentials.privateKey.secret}`), keyed by field with the sub-keys read. */
export function fieldsReadByToken(entry: ProviderEntry): Map<string, Set<string>> {
  const token = entry.token;
  const templates = [token?.signing_key, ...Object.values(token?.header ?? {}), ...Object.values(token?.payload ?? {}).flat()].filter((t): t is string => t !== undefined);
  const fields = new Map<string, Set<string>>();
  for (const placeholder of templates.flatMap((template) => placeholdersOf(parseTemplate(template, LITERAL_OR)))) {
    if (placeholder.source !== 'credentials') continue;
    const [field = '', ...rest] = placeholder.key.split('.');
    const parts = fields.get(field) ?? new Set<string>();
    if (rest.length > 0) parts.add(rest.join('.'));
    fields.set(field, parts);
  }
  return fields;
}

function requireToken(entry: ProviderEntry): NonNullable<ProviderEntry['token']> {
  // The catalog schema requires it for JWT entries; an entry of another mode reaching here is a bug.
  if (entry.token?.header?.['alg'] === undefined) throw new CustodianError('invalid_provider_catalog', `${entry.display_name} has no JWT token settings`);
  return entry.token;
}

function signingKey(input: JwtMintInput): JwtKey {
  const { entry } = input;
  const text = interpolateLocalToken(entry.token?.signing_key ?? '', templateInput(input));
  if (entry.signature?.protocol !== 'HMAC') return { kind: 'pem', text };
  if (entry.signature.hmac_secret_encoding === 'utf8') return { kind: 'secret', bytes: Buffer.from(text, 'utf8') };
  // Ghost's Admin API secret is hex; Nango decodes it unless the entry says utf8.
  if (!HEX_BYTES.test(text)) throw invalidSigningKey(signingKeyField(entry), 'must be hexadecimal');
  return { kind: 'secret', bytes: Buffer.from(text, 'hex') };
}

/** The field errors about the signing key name: the first credential its template reads. */
function signingKeyField(entry: ProviderEntry): string {
  const placeholder = placeholdersOf(parseTemplate(entry.token?.signing_key ?? '', LITERAL_OR)).find((p) => p.source === 'credentials');
  return placeholder ? `credentials.${placeholder.key}` : 'token.signing_key';
}

/**
 * A claim's value, or undefined when what it reads is absent and optional (App Store Connect's `scope`
 * when no scope is configured). A required value that is absent throws `missing_connection_config`.
 */
function optionalValue(template: string, input: JwtMintInput): string | undefined {
  try {
    return interpolateLocalToken(template, templateInput(input));
  } catch (error) {
    if (error instanceof ConnectionConfigError && error.code === 'missing_connection_config' && onlyOptionalMissing(template, input)) return undefined;
    throw error;
  }
}

/** An array claim: each item filled, comma-separated values spread, absent optional items left out; undefined when empty. */
function listClaim(templates: readonly string[], input: JwtMintInput): string[] | undefined {
  const values = templates.flatMap((template) => (optionalValue(template, input) ?? '').split(',').map((value) => value.trim()).filter((value) => value !== ''));
  return values.length > 0 ? values : undefined;
}

function onlyOptionalMissing(template: string, input: JwtMintInput): boolean {
  const sources = { connectionConfig: input.connectionConfig, credentials: input.fields };
  return placeholdersOf(parseTemplate(template, LITERAL_OR)).every((placeholder) => lookupValue(placeholder, sources) !== undefined || isOptional(placeholder, input.entry));
}

function isOptional(placeholder: Placeholder, entry: ProviderEntry): boolean {
  const fields = placeholder.source === 'connectionConfig' ? entry.connection_config : entry.credentials;
  return fields?.[placeholder.key.split('.')[0] ?? '']?.optional === true;
}

function templateInput(input: JwtMintInput) {
  return { entry: input.entry, connectionConfig: input.connectionConfig, credentials: input.fields };
}
