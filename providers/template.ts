/**
 * Syntax of catalog templates (Nango's): `${connectionConfig.x}`, `${credentials.x}`, `${apiKey}`,
 * `${accessToken}`, and `A || B` alternatives; for the token requests of TWO_STEP entries also the
 * answers of earlier steps (`${step1.x}`), `${assertionOption.x}`, values computed per request
 * (`${random}`, `${now}`, `${now:YYYY-MM-DD}`, `${now+7:days:YYYY-MM-DD}`, `${token}`, `${refresh_token}`,
 * `${endpoint}`) and the functions `${base64(…)}` and `${sha256Hex(…)}` over a nested template.
 * Parsing only; values are resolved in interpolate.ts.
 */
import { CustodianError } from '../src/errors';

/**
 * Where a placeholder's value comes from: `step` is the answer of an earlier token request step
 * (key `step1.path`), `context` a value the caller computes for one request (key = the expression).
 */
export type PlaceholderSource = 'connectionConfig' | 'credentials' | 'assertionOption' | 'step' | 'context';

/** A function applied to the text of a nested template. */
export type TemplateFunction = 'base64' | 'sha256Hex';

/** `${fn(argument)}`. */
export interface TemplateCall {
  readonly fn: TemplateFunction;
  readonly argument: readonly TemplatePart[];
  /** The text between `${` and `}`, for messages. */
  readonly expression: string;
}

/** One `${...}` reference. */
export interface Placeholder {
  readonly source: PlaceholderSource;
  /** Key inside the source object (`subdomain`, `apiKey`, `access_token`). */
  readonly key: string;
  /** The text between `${` and `}`, for messages. */
  readonly expression: string;
}

/** A piece of one alternative: fixed text, a placeholder, or a function over a nested template. */
export type TemplatePart = { readonly literal: string } | { readonly placeholder: Placeholder } | { readonly call: TemplateCall };

/** A parsed template: the `||` alternatives, tried left to right. */
export interface Template {
  readonly alternatives: readonly (readonly TemplatePart[])[];
}

/** Where a placeholder sits in a URL, which decides what its value may contain. */
export type UrlPosition = 'base' | 'host' | 'port' | 'path' | 'query' | 'fragment';

const SOURCED_EXPRESSION = /^(connectionConfig|credentials|assertionOption)\.([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)$/;
const STEP_EXPRESSION = /^step[1-9][0-9]?\.[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;
// Computed per request by the caller: a nonce, the clock (ISO, formatted, or offset and formatted), a signed
// JWT (`token`), the stored refresh token, and the proxied endpoint.
const CONTEXT_EXPRESSION = /^(?:random|now|now:[A-Za-z0-9:. T/_-]+|now[+-]\d{1,4}:(?:seconds|minutes|hours|days|weeks|months|years):[A-Za-z0-9:. T/_-]+|token|refresh_token|endpoint)$/;
const CALL_EXPRESSION = /^(base64|sha256Hex)\(([\s\S]*)\)$/;
// Nango's shorthands: the API key of an API_KEY connection, the access token of an OAuth one.
const SHORTHANDS: Readonly<Record<string, Placeholder>> = {
  apiKey: { source: 'credentials', key: 'apiKey', expression: 'apiKey' },
  accessToken: { source: 'credentials', key: 'access_token', expression: 'accessToken' },
};

/** Parses a template; throws `invalid_template` for an expression we do not support. */
export function parseTemplate(text: string): Template {
  return { alternatives: splitAlternatives(text).map(parseAlternative) };
}

/** Every placeholder of a template, all alternatives together (those inside function calls included). */
export function placeholdersOf(template: Template): Placeholder[] {
  return template.alternatives.flatMap(placeholdersOfParts);
}

/** Every placeholder of one alternative, those inside function calls included. */
export function placeholdersOfParts(parts: readonly TemplatePart[]): Placeholder[] {
  return parts.flatMap((part) => ('placeholder' in part ? [part.placeholder] : 'call' in part ? placeholdersOfParts(part.call.argument) : []));
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
    // A URL is never computed: hashing or encoding would hide what lands in the host or path.
    if ('call' in part) throw invalidTemplate(`\${${part.call.expression}} cannot be used in a URL`);
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
  let literal = '';
  let index = 0;
  while (index < source.length) {
    if (!source.startsWith('${', index)) {
      literal += source[index];
      index++;
      continue;
    }
    const end = closingBrace(source, index + 2);
    if (end === -1) throw invalidTemplate('unterminated "${"');
    if (literal !== '') parts.push({ literal });
    literal = '';
    parts.push(parseExpression(source.slice(index + 2, end)));
    index = end + 1;
  }
  if (literal !== '') parts.push({ literal });
  return parts;
}

/** The index of the `}` closing a `${` whose expression starts at `from`, nested `${…}` skipped; -1 if none. */
function closingBrace(source: string, from: number): number {
  let depth = 0;
  for (let index = from; index < source.length; index++) {
    if (source.startsWith('${', index)) {
      depth++;
      index++;
    } else if (source[index] === '}') {
      if (depth === 0) return index;
      depth--;
    }
  }
  return -1;
}

function parseExpression(expression: string): TemplatePart {
  const call = CALL_EXPRESSION.exec(expression);
  if (call) return { call: { fn: call[1] as TemplateFunction, argument: parseAlternative(call[2] ?? ''), expression } };
  if (expression.includes('${')) throw invalidTemplate(`unsupported nested template \${${expression}} (only base64(…) and sha256Hex(…) take one)`);
  return { placeholder: parsePlaceholder(expression) };
}

function parsePlaceholder(expression: string): Placeholder {
  const shorthand = SHORTHANDS[expression];
  if (shorthand) return shorthand;
  if (STEP_EXPRESSION.test(expression)) return { source: 'step', key: expression, expression };
  if (CONTEXT_EXPRESSION.test(expression)) return { source: 'context', key: expression, expression };
  const match = SOURCED_EXPRESSION.exec(expression);
  if (!match) throw invalidTemplate(`unsupported placeholder \${${expression}}`);
  return { source: match[1] as PlaceholderSource, key: match[2] ?? '', expression };
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
