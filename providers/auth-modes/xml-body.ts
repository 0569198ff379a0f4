/**
 * XML token request bodies and answers (`body_format: xml`, Sage Intacct's XML gateway): an object
 * becomes elements (a `$name` key an attribute of its parent, as in Nango's entries), and an answer
 * becomes an object of its elements (text-only elements as strings, repeated ones as arrays,
 * attributes dropped) that `token_response` paths read.
 */

type XmlValue = string | { readonly [key: string]: XmlValue };

/** `<?xml …?>` and the elements of `body`. */
export function toXml(body: Readonly<Record<string, XmlValue>>): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${elements(body)}`;
}

function elements(node: Readonly<Record<string, XmlValue>>): string {
  return Object.entries(node)
    .filter(([name]) => !name.startsWith('$'))
    .map(([name, value]) => {
      if (typeof value === 'string') return `<${name}>${escapeText(value)}</${name}>`;
      const attributes = Object.entries(value)
        .filter(([key, attribute]) => key.startsWith('$') && typeof attribute === 'string')
        .map(([key, attribute]) => ` ${key.slice(1)}="${escapeAttribute(attribute as string)}"`)
        .join('');
      return `<${name}${attributes}>${elements(value)}</${name}>`;
    })
    .join('');
}

function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeAttribute(text: string): string {
  return escapeText(text).replace(/"/g, '&quot;');
}

type Parsed = string | Parsed[] | { [key: string]: Parsed };

const TAG = /<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/y;

/** The object of an XML document, or undefined when it is not well-formed enough to read. */
export function parseXml(text: string): Record<string, Parsed> | undefined {
  const body = text.replace(/<\?[\s\S]*?\?>/g, '').replace(/<!--[\s\S]*?-->/g, '').replace(/<!DOCTYPE[^>]*>/gi, '');
  const root: { name: string; children: [string, Parsed][]; text: string } = { name: '', children: [], text: '' };
  const stack = [root];
  let index = 0;
  while (index < body.length) {
    const next = body.indexOf('<', index);
    const current = stack[stack.length - 1]!;
    if (next === -1) {
      current.text += body.slice(index);
      break;
    }
    current.text += body.slice(index, next);
    if (body.startsWith('<![CDATA[', next)) {
      const end = body.indexOf(']]>', next);
      if (end === -1) return undefined;
      current.text += body.slice(next + 9, end);
      index = end + 3;
      continue;
    }
    TAG.lastIndex = next;
    const tag = TAG.exec(body);
    if (!tag) return undefined;
    index = TAG.lastIndex;
    const [, closing, name = '', , selfClosing] = tag;
    if (closing) {
      const done = stack.pop();
      if (!done || done.name !== name || stack.length === 0) return undefined;
      stack[stack.length - 1]!.children.push([name, valueOf(done)]);
    } else if (selfClosing) {
      current.children.push([name, '']);
    } else {
      stack.push({ name, children: [], text: '' });
    }
  }
  if (stack.length !== 1) return undefined;
  const value = valueOf(root);
  return typeof value === 'object' && !Array.isArray(value) ? value : undefined;
}

function valueOf(node: { children: [string, Parsed][]; text: string }): Parsed {
  if (node.children.length === 0) return decode(node.text.trim());
  const object: Record<string, Parsed> = {};
  for (const [name, value] of node.children) {
    const existing = object[name];
    object[name] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return object;
}

function decode(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&#x([0-9a-f]+);/gi, (_, code: string) => String.fromCodePoint(parseInt(code, 16)))
    .replace(/&amp;/g, '&');
}
