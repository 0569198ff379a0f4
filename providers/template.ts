/**
 * Syntax of catalog templates (Nango's): `${connectionConfig.x}`, `${credentials.x}` (`x.y` reads a
 * nested value), `${apiKey}`, `${accessToken}`, `${fingerprint(${credentials.x})}`, and `A || B`
 * alternatives. Parsing only; values are resolved in interpolate.ts.
 */
import { CustodianError } from '../src/errors';

/** Where a placeholder's value comes from. */
export type PlaceholderSource = 'connectionConfig' | 'credentials';

/** One `${...}` reference. */
export interface Placeholder {
  readonly source: PlaceholderSource;
  /** Key inside the source object (`subdomain`, `apiKey`, `access_token`). */
  readonly key: string;
  /** The text between `${` and `}`, for messages. */
  readonly expression: string;
  /**
   * A function applied to the value: `fingerprint` is the `SHA256:<base64>` digest of the public key of a
   * PEM private key (Snowflake's key-pair JWTs name the key by it).
   */
  readonly transform?: TemplateFunction;
}

/** The functions a template may apply to a credential (see {@link Placeholder.transform}). */
export type TemplateFunction = 'fingerprint';

/** A piece of one alternative: fixed text or a placeholder. */
export type TemplatePart = { readonly literal: string } | { readonly placeholder: Placeholder };

/** A parsed template: the `||` alternatives, tried left to right. */
export interface Template {
  readonly alternatives: readonly (readonly TemplatePart[])[];
}

/** Where a placeholder sits in a URL, which decides what its value may contain. */
export type UrlPosition = 'base' | 'host' | 'port' | 'path' | 'query' | 'fragment';

// `${expression}`, or `${fn(${expression})}` for one of TEMPLATE_FUNCTIONS.
const PLACEHOLDER = /\$\{(?:([a-z]+)\(\$\{([^{}]*)\}\)|([^{}]*))\}/g;
const TEMPLATE_FUNCTIONS: readonly TemplateFunction[] = ['fingerprint'];
const SOURCED_EXPRESSION = /^(connectionConfig|credentials)\.([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)$/;
// Nango's shorthands: the API key of an API_KEY connection, the access token of an OAuth one.
const SHORTHANDS: Readonly<Record<string, Placeholder>> = {
  apiKey: { source: 'credentials', key: 'apiKey', expression: 'apiKey' },
  accessToken: { source: 'credentials', key: 'access_token', expression: 'accessToken' },
};

/** How a template reads. */
export interface TemplateOptions {
  /**
   * `||` is text, not a fallback: a credential made here (a JWT's claims and signing key) is filled as Nango
   * fills it, and Heymarket's signing secret is `<secret id>||<secret key>`.
   */
  readonly literalOr?: boolean;
}

/** Parses a template; throws `invalid_template` for an expression we do not support. */
export function parseTemplate(text: string, options: TemplateOptions = {}): Template {
  return { alternatives: (options.literalOr ? [text] : splitAlternatives(text)).map(parseAlternative) };
}

/** Every placeholder of a template, all alternatives together. */
export function placeholdersOf(template: Template): Placeholder[] {
  return template.alternatives.flatMap((parts) => parts.flatMap((part) => ('placeholder' in part ? [part.placeholder] : [])));
}

/**
 * The URL position of each placeholder of one alternative, in order.
 * A placeholder that opens the template stands for a whole base URL (`${connectionConfig.instance_url}/api`).
 */
export function urlPositions(parts: readonly TemplatePart[]): UrlPosition[] {
  const positions: UrlPosition[] = [];
  let state: 'scheme' | UrlPosition = 'scheme';
  let seenText = '';
  let afterBase = false;
  for (const part of parts) {
    if (afterBase && !('literal' in part && /^[/?#]/.test(part.literal))) {
      throw invalidTemplate('a placeholder standing for a whole base URL must be followed by "/", "?", "#" or nothing');
    }
    afterBase = false;
    if ('placeholder' in part) {
      if (state === 'scheme') {
        if (seenText !== '') throw invalidTemplate(`\${${part.placeholder.expression}} sits inside the URL scheme`);
        positions.push('base');
        // After a whole base URL, the template continues with its path.
        state = 'path';
        afterBase = true;
      } else {
        positions.push(state);
      }
      continue;
    }
    for (const char of part.literal) {
      seenText += char;
      state = nextUrlState(state, char, seenText);
    }
  }
  return positions;
}

/** Appends a path (e.g. a verification endpoint) to every alternative of a base URL template. */
export function joinUrlTemplate(base: string, path: string): string {
  const suffix = path.startsWith('/') ? path : `/${path}`;
  return splitAlternatives(base)
    .map((alternative) => alternative.replace(/\/+$/, '') + suffix)
    .join(' || ');
}

function splitAlternatives(text: string): string[] {
  // Nango only splits on `||` when the string holds a placeholder; a literal `||` elsewhere stays text.
  return text.includes('${') ? text.split('||').map((part) => part.trim()) : [text];
}

function parseAlternative(source: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const match of source.matchAll(PLACEHOLDER)) {
    if (match.index > last) parts.push({ literal: source.slice(last, match.index) });
    const [, fn, argument, expression] = match;
    parts.push({ placeholder: fn === undefined ? parsePlaceholder(expression ?? '') : parseCall(fn, argument ?? '') });
    last = match.index + match[0].length;
  }
  if (last < source.length) parts.push({ literal: source.slice(last) });
  const rest = parts.flatMap((part) => ('literal' in part ? [part.literal] : [])).join('');
  if (rest.includes('${')) throw invalidTemplate('nested or unterminated "${" (template functions such as ${base64(…)} are not supported)');
  return parts;
}

function parsePlaceholder(expression: string): Placeholder {
  const shorthand = SHORTHANDS[expression];
  if (shorthand) return shorthand;
  const match = SOURCED_EXPRESSION.exec(expression);
  if (!match) throw invalidTemplate(`unsupported placeholder \${${expression}}`);
  return { source: match[1] as PlaceholderSource, key: match[2] ?? '', expression };
}

function parseCall(fn: string, argument: string): Placeholder {
  if (!(TEMPLATE_FUNCTIONS as readonly string[]).includes(fn)) throw invalidTemplate(`unsupported template function ${fn}()`);
  const inner = parsePlaceholder(argument);
  // A digest of something the catalog itself holds, or of connection config, would be a constant or a guess.
  if (inner.source !== 'credentials') throw invalidTemplate(`${fn}() applies to a credential only`);
  return { ...inner, transform: fn as TemplateFunction, expression: `${fn}(\${${inner.expression}})` };
}

function nextUrlState(state: 'scheme' | UrlPosition, char: string, seenText: string): 'scheme' | UrlPosition {
  switch (state) {
    case 'scheme':
      return seenText.endsWith('://') ? 'host' : 'scheme';
    case 'host':
      if (char === ':') return 'port';
      if (char === '/') return 'path';
      if (char === '?') return 'query';
      return char === '#' ? 'fragment' : 'host';
    case 'port':
    case 'base':
      if (char === '/') return 'path';
      if (char === '?') return 'query';
      return char === '#' ? 'fragment' : state;
    case 'path':
      if (char === '?') return 'query';
      return char === '#' ? 'fragment' : 'path';
    case 'query':
      return char === '#' ? 'fragment' : 'query';
    case 'fragment':
      return 'fragment';
  }
}

function invalidTemplate(message: string): CustodianError {
  return new CustodianError('invalid_template', message);
}
