/**
 * SAML 2.0 bearer assertions (RFC 7522) a TWO_STEP entry sends as `${credentials.assertion}` (SAP
 * SuccessFactors' `saml2-bearer` grant), base64-encoded, signed with an enveloped XML signature
 * (RSA-SHA256 over SHA-256, exclusive canonicalization) when the entry names a key.
 *
 * The document is written in its canonical form (exclusive XML canonicalization, W3C xml-exc-c14n:
 * namespaces declared where first used, attributes in canonical order, no empty-element tags, c14n
 * escaping), so the bytes digested and signed are the bytes a verifier canonicalizes; no XML library
 * is needed to sign.
 */
import { createHash, randomBytes, sign } from 'node:crypto';
import type { ProviderEntry } from '../catalog-schema';
import { interpolateTokenParam, type TokenRequestSources } from '../interpolate';
import { ConnectionConfigError } from '../../src/errors';
import { privateKeyOf } from './jwt-assertion';
import { requestContext } from './request-context';

const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const DSIG = 'http://www.w3.org/2000/09/xmldsig#';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const DEFAULT_LIFETIME_SECONDS = 300;

type SamlTemplate = Extract<NonNullable<ProviderEntry['assertion']>, { type: 'saml' }>;

/** The entry's SAML assertion for a request at `now`, base64-encoded; undefined when the entry has none. */
export function samlAssertion(entry: ProviderEntry, requestSources: TokenRequestSources, now: Date): string | undefined {
  const template = entry.assertion;
  if (template?.type !== 'saml') return undefined;
  const sources = { ...requestSources, context: requestContext([template], { now }) };
  const fill = (text: string | undefined) => (text === undefined ? undefined : filledOrAbsent(text, sources));
  const id = `_${randomBytes(16).toString('hex')}`;
  const notOnOrAfter = new Date(now.getTime() + (template.lifetimeInSeconds ?? DEFAULT_LIFETIME_SECONDS) * 1000).toISOString();
  const issued = now.toISOString();
  const unsigned = assertionXml({ template, fill, id, issued, notOnOrAfter, sources });
  const keyText = fill(template.key);
  const xml = keyText === undefined ? unsigned : signed(unsigned, id, keyText);
  return Buffer.from(xml, 'utf8').toString('base64');
}

interface Parts {
  readonly template: SamlTemplate;
  readonly fill: (text: string | undefined) => string | undefined;
  readonly id: string;
  readonly issued: string;
  readonly notOnOrAfter: string;
  readonly sources: TokenRequestSources;
}

function assertionXml({ template, fill, id, issued, notOnOrAfter, sources }: Parts): string {
  const audiences = (fill(template.audiences) ?? '').split(',').map((audience) => audience.trim()).filter(Boolean);
  const recipient = fill(template.recipient);
  const sessionIndex = fill(template.sessionIndex);
  const attributes = Object.entries(template.attributes ?? {}).flatMap(([name, value]) => {
    const filled = filledOrAbsent(value, sources);
    return filled === undefined ? [] : [element('saml:Attribute', { Name: name, NameFormat: 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic' }, element('saml:AttributeValue', {}, text(filled)))];
  });
  return element(
    'saml:Assertion',
    { 'xmlns:saml': SAML, ID: id, IssueInstant: issued, Version: '2.0' },
    element('saml:Issuer', {}, text(fill(template.issuer) ?? '')),
    element(
      'saml:Subject',
      {},
      element('saml:NameID', { Format: template.nameIdentifierFormat ?? 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified' }, text(fill(template.nameIdentifier) ?? '')),
      element(
        'saml:SubjectConfirmation',
        { Method: 'urn:oasis:names:tc:SAML:2.0:cm:bearer' },
        element('saml:SubjectConfirmationData', { NotOnOrAfter: notOnOrAfter, ...(recipient === undefined ? {} : { Recipient: recipient }) }),
      ),
    ),
    element(
      'saml:Conditions',
      { NotBefore: issued, NotOnOrAfter: notOnOrAfter },
      audiences.length === 0 ? '' : element('saml:AudienceRestriction', {}, ...audiences.map((audience) => element('saml:Audience', {}, text(audience)))),
    ),
    element(
      'saml:AuthnStatement',
      { AuthnInstant: issued, ...(sessionIndex === undefined ? {} : { SessionIndex: sessionIndex }) },
      element('saml:AuthnContext', {}, element('saml:AuthnContextClassRef', {}, text(template.authnContextClassRef ?? 'urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified'))),
    ),
    attributes.length === 0 ? '' : element('saml:AttributeStatement', {}, ...attributes),
  );
}

/** The assertion with its enveloped signature placed after the Issuer, as the SAML schema orders it. */
function signed(unsigned: string, id: string, keyText: string): string {
  // Enveloped-signature transform + exclusive c14n of the assertion = the unsigned canonical text.
  const digest = createHash('sha256').update(unsigned, 'utf8').digest('base64');
  const signedInfo = element(
    'ds:SignedInfo',
    { 'xmlns:ds': DSIG },
    element('ds:CanonicalizationMethod', { Algorithm: EXC_C14N }),
    element('ds:SignatureMethod', { Algorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256' }),
    element(
      'ds:Reference',
      { URI: `#${id}` },
      element('ds:Transforms', {}, element('ds:Transform', { Algorithm: `${DSIG}enveloped-signature` }), element('ds:Transform', { Algorithm: EXC_C14N })),
      element('ds:DigestMethod', { Algorithm: 'http://www.w3.org/2001/04/xmlenc#sha256' }),
      element('ds:DigestValue', {}, digest),
    ),
  );
  // Exclusive c14n of SignedInfo alone renders the ds namespace on it; inside Signature it is inherited.
  const signatureValue = sign('sha256', Buffer.from(signedInfo, 'utf8'), privateKeyOf(keyText)).toString('base64');
  const signature = element('ds:Signature', { 'xmlns:ds': DSIG }, signedInfo.replace(` xmlns:ds="${DSIG}"`, ''), element('ds:SignatureValue', {}, signatureValue));
  const issuerEnd = unsigned.indexOf('</saml:Issuer>') + '</saml:Issuer>'.length;
  return unsigned.slice(0, issuerEnd) + signature + unsigned.slice(issuerEnd);
}

/** An element in canonical form: namespace declarations first, then attributes by name, never `<x/>`. */
function element(name: string, attributes: Readonly<Record<string, string>>, ...children: string[]): string {
  const entries = Object.entries(attributes);
  const namespaces = entries.filter(([key]) => key.startsWith('xmlns')).sort(([a], [b]) => compare(a, b));
  const plain = entries.filter(([key]) => !key.startsWith('xmlns')).sort(([a], [b]) => compare(a, b));
  const rendered = [...namespaces, ...plain].map(([key, value]) => ` ${key}="${attributeText(value)}"`).join('');
  return `<${name}${rendered}>${children.join('')}</${name}>`;
}

// c14n orders by code point, not by locale.
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function text(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#xD;');
}

function attributeText(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;').replace(/\t/g, '&#x9;').replace(/\n/g, '&#xA;').replace(/\r/g, '&#xD;');
}

function filledOrAbsent(template: string, sources: TokenRequestSources): string | undefined {
  try {
    return interpolateTokenParam(template, sources);
  } catch (error) {
    if (error instanceof ConnectionConfigError && error.code === 'missing_connection_config') return undefined;
    throw error;
  }
}
