/**
 * Log lines for a person at a terminal (dev mode on a TTY): pino's JSON line in, one line out,
 * `12:34:56.789 INFO  message  key=value …`, coloured by level, without the fields every line has.
 * The JSON is already redacted (the logger's formatter ran first); this only rearranges it.
 */

const LEVELS: Record<number, { name: string; colour: string }> = {
  10: { name: 'TRACE', colour: '90' },
  20: { name: 'DEBUG', colour: '36' },
  30: { name: 'INFO ', colour: '32' },
  40: { name: 'WARN ', colour: '33' },
  50: { name: 'ERROR', colour: '31' },
  60: { name: 'FATAL', colour: '35' },
};

/** Fields every line carries, which a reader does not need on each one. */
const OMITTED = new Set(['level', 'time', 'msg', 'service', 'pid', 'hostname']);

export interface PrettyOptions {
  /** ANSI colours (off with NO_COLOR or when the terminal has none). */
  colours: boolean;
}

function paint(text: string, code: string, options: PrettyOptions): string {
  return options.colours ? `\u001b[${code}m${text}\u001b[0m` : text;
}

/** One line: newlines and other control characters escaped. */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is escaped (no terminal escapes from log data)
  return text.replace(/\r?\n/g, '\\n').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function valueText(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? oneLine(value) : JSON.stringify(value);
  return oneLine(JSON.stringify(value) ?? String(value));
}

/** `key=value` pairs; nested objects one level flat (`temporal.taskQueue=custodian`), deeper ones as JSON; errors by type and message. */
function fields(object: Record<string, unknown>, options: PrettyOptions): string {
  const pairs: string[] = [];
  for (const [key, value] of Object.entries(object)) {
    if (OMITTED.has(key) || value === undefined) continue;
    if ((key === 'err' || key === 'error') && value && typeof value === 'object' && 'message' in value) {
      const error = value as { type?: string; message?: unknown };
      pairs.push(`${paint(`${key}=`, '2', options)}${valueText(`${error.type ?? 'Error'}: ${String(error.message)}`)}`);
      continue;
    }
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      for (const [inner, innerValue] of Object.entries(value)) {
        if (innerValue !== undefined) pairs.push(`${paint(`${key}.${inner}=`, '2', options)}${valueText(innerValue)}`);
      }
      continue;
    }
    pairs.push(`${paint(`${key}=`, '2', options)}${valueText(value)}`);
  }
  return pairs.join(' ');
}

function clock(time: unknown): string {
  const date = typeof time === 'number' ? new Date(time) : new Date();
  return date.toISOString().slice(11, 23);
}

/** The readable line of one pino JSON line (a line that is not JSON passes through unchanged). */
export function prettyLine(json: string, options: PrettyOptions): string {
  let object: Record<string, unknown>;
  try {
    object = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const level = LEVELS[Number(object.level)] ?? { name: String(object.level).padEnd(5), colour: '0' };
  const message = oneLine(String(object.msg ?? ''));
  const rest = fields(object, options);
  const head = `${paint(clock(object.time), '2', options)} ${paint(level.name, level.colour, options)} ${Number(object.level) >= 40 ? paint(message, level.colour, options) : message}`;
  return `${rest ? `${head}  ${rest}` : head}\n`;
}

/** A pino destination writing readable lines to `out` (synchronously, so they stay in order with the banner). */
export function prettyDestination(out: { write(text: string): unknown }, options: PrettyOptions): { write(line: string): void } {
  return {
    write: (chunk: string) => {
      for (const line of chunk.split('\n')) if (line !== '') out.write(prettyLine(line, options));
    },
  };
}
