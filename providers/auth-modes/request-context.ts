/**
 * The per-request values of catalog templates (`${random}`, `${now}`, `${now:YYYY-MM-DD}`,
 * `${now+7:days:YYYY-MM-DD}`, `${token}`, `${refresh_token}`, `${endpoint}`), computed once per request so
 * that every header and parameter of it sees the same nonce and the same instant (Avanan signs its
 * `x-av-req-id` and `x-av-date` headers into `x-av-sig`).
 */
import { randomUUID } from 'node:crypto';
import { CustodianError } from '../../src/errors';
import { parseTemplate, placeholdersOf } from '../template';

/** What the per-request values are made of. */
export interface RequestContextInput {
  /** The caller's clock (a workflow's time). */
  readonly now: Date;
  /** The JWT signed for this request (`${token}`), when the entry signs one. */
  readonly token?: string;
  /** The connection's refresh token (`${refresh_token}`). */
  readonly refreshToken?: string;
  /** The path of a proxied request (`${endpoint}`). */
  readonly endpoint?: string;
}

const OFFSET = /^now([+-]\d+):(seconds|minutes|hours|days|weeks|months|years):(.+)$/;
const FORMATTED = /^now:(.+)$/;
// dayjs' tokens, longest first so that `YYYY` is not read as two `YY`.
const FORMAT_TOKENS = /YYYY|MM|DD|HH|mm|ss|SSS|X|x/g;
const UNIT_MS: Readonly<Record<string, number>> = { seconds: 1000, minutes: 60_000, hours: 3_600_000, days: 86_400_000, weeks: 604_800_000 };

/** Every `context` expression used by `templates` (strings, or objects of them), mapped to its value. */
export function requestContext(templates: readonly unknown[], input: RequestContextInput): Record<string, string> {
  const expressions = new Set<string>();
  for (const template of templates) collect(template, expressions);
  const random = randomUUID();
  const context: Record<string, string> = {};
  for (const expression of expressions) {
    const value = contextValue(expression, input, random);
    if (value !== undefined) context[expression] = value;
  }
  return context;
}

function collect(template: unknown, into: Set<string>): void {
  if (typeof template === 'string') {
    if (!template.includes('${')) return;
    for (const placeholder of placeholdersOf(parseTemplate(template))) if (placeholder.source === 'context') into.add(placeholder.key);
  } else if (typeof template === 'object' && template !== null) {
    for (const value of Object.values(template)) collect(value, into);
  }
}

function contextValue(expression: string, input: RequestContextInput, random: string): string | undefined {
  switch (expression) {
    case 'random':
      return random;
    case 'now':
      return input.now.toISOString();
    case 'token':
      return input.token;
    case 'refresh_token':
      return input.refreshToken;
    case 'endpoint':
      return input.endpoint;
  }
  const offset = OFFSET.exec(expression);
  if (offset) return formatTime(shifted(input.now, Number(offset[1]), offset[2] ?? ''), offset[3] ?? '');
  const formatted = FORMATTED.exec(expression);
  if (formatted) return formatTime(input.now, formatted[1] ?? '');
  throw new CustodianError('invalid_template', `\${${expression}} has no value`);
}

function shifted(now: Date, amount: number, unit: string): Date {
  const date = new Date(now.getTime());
  if (unit === 'months') date.setUTCMonth(date.getUTCMonth() + amount);
  else if (unit === 'years') date.setUTCFullYear(date.getUTCFullYear() + amount);
  else date.setTime(date.getTime() + amount * (UNIT_MS[unit] ?? 0));
  return date;
}

/** UTC time in a dayjs-style format (`YYYY-MM-DDTHH:mm:ss`; `X` Unix seconds, `x` milliseconds), as Nango formats it. */
export function formatTime(date: Date, format: string): string {
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  const values: Readonly<Record<string, string>> = {
    YYYY: String(date.getUTCFullYear()),
    MM: pad(date.getUTCMonth() + 1),
    DD: pad(date.getUTCDate()),
    HH: pad(date.getUTCHours()),
    mm: pad(date.getUTCMinutes()),
    ss: pad(date.getUTCSeconds()),
    SSS: pad(date.getUTCMilliseconds(), 3),
    X: String(Math.floor(date.getTime() / 1000)),
    x: String(date.getTime()),
  };
  return format.replace(FORMAT_TOKENS, (token) => values[token] ?? token);
}
