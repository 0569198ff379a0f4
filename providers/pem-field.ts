/** Whether a field schema describes a PEM block (a private key, a certificate), whose value spans lines. */

/** True when the field's example or pattern holds a PEM header, or its description says PEM. */
export function looksLikePem(field: Readonly<Record<string, unknown>>): boolean {
  const text = (key: string) => (typeof field[key] === 'string' ? (field[key] as string) : '');
  return text('example').includes('-----BEGIN ') || text('pattern').includes('-----BEGIN ') || /\bPEM\b/.test(text('description'));
}
