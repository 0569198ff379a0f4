/**
 * AWS Signature Version 4 (AWS's "Create a signed AWS API request"): a canonical request of method,
 * path, sorted query, the signed headers and the payload's SHA-256; a string to sign naming the date,
 * region and service; a key derived by HMAC-SHA256 from the secret key down that scope; the result in
 * `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
 */
import { createHash, createHmac } from 'node:crypto';

/** The AWS credentials a request is signed with. */
export interface AwsSigningCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Temporary credentials (an assumed role) carry one; it is sent as `x-amz-security-token`. */
  readonly sessionToken?: string;
}

/** One request to sign. Header names may have any case. */
export interface SigV4Request {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  /** The whole body; absent for none (or, for S3, a body streamed unsigned). */
  readonly body?: Uint8Array | string;
  readonly credentials: AwsSigningCredentials;
  readonly region: string;
  readonly service: string;
  readonly now: Date;
}

// Headers a transport or proxy may add or change on the way: signing them would break the signature.
const UNSIGNED_HEADERS = new Set(['authorization', 'connection', 'expect', 'user-agent', 'x-amzn-trace-id', 'transfer-encoding', 'content-length']);
const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');
const BODILESS_METHODS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS']);

/**
 * The headers to add to the request: `x-amz-date`, `x-amz-security-token` (temporary credentials),
 * `x-amz-content-sha256` (S3, which requires it) and `authorization`. `host` is signed but not returned:
 * the transport sends it from the URL.
 */
export function signSigV4(request: SigV4Request): Record<string, string> {
  const amzDate = request.now.toISOString().replace(/[-:]|\.\d{3}/g, '');
  const dateStamp = amzDate.slice(0, 8);
  const payloadHash = payloadHashOf(request);
  const added: Record<string, string> = { 'x-amz-date': amzDate };
  if (request.credentials.sessionToken) added['x-amz-security-token'] = request.credentials.sessionToken;
  if (request.service === 's3') added['x-amz-content-sha256'] = payloadHash;

  const signed = new Map<string, string>([['host', request.url.host]]);
  for (const [name, value] of Object.entries({ ...request.headers, ...added })) {
    const lower = name.toLowerCase();
    if (!UNSIGNED_HEADERS.has(lower) && lower !== 'host') signed.set(lower, value.trim().replace(/\s+/g, ' '));
  }
  const names = [...signed.keys()].sort();
  const canonicalRequest = [
    request.method.toUpperCase(),
    canonicalPath(request.url.pathname, request.service),
    canonicalQuery(request.url.searchParams),
    names.map((name) => `${name}:${signed.get(name) ?? ''}\n`).join(''),
    names.join(';'),
    payloadHash,
  ].join('\n');
  const scope = `${dateStamp}/${request.region}/${request.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const key = [dateStamp, request.region, request.service, 'aws4_request'].reduce<Buffer | string>((secret, part) => hmac(secret, part), `AWS4${request.credentials.secretAccessKey}`);
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
  return { ...added, authorization: `AWS4-HMAC-SHA256 Credential=${request.credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}` };
}

function payloadHashOf(request: SigV4Request): string {
  if (request.body !== undefined) return createHash('sha256').update(request.body).digest('hex');
  if (BODILESS_METHODS.has(request.method.toUpperCase())) return EMPTY_SHA256;
  // S3 accepts a body it cannot see whole up front unsigned; other services sign the empty body.
  return request.service === 's3' ? 'UNSIGNED-PAYLOAD' : EMPTY_SHA256;
}

/** Every service but S3 signs the path encoded twice: each segment of the (already encoded) path encoded again. */
function canonicalPath(pathname: string, service: string): string {
  if (pathname === '') return '/';
  if (service === 's3') return pathname;
  return pathname.split('/').map(encodeRfc3986).join('/');
}

/** Names and values encoded (RFC 3986), sorted by name then value. */
function canonicalQuery(params: URLSearchParams): string {
  return [...params]
    .map(([name, value]) => [encodeRfc3986(name), encodeRfc3986(value)] as const)
    .sort(([a, av], [b, bv]) => (a === b ? compare(av, bv) : compare(a, b)))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function encodeRfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
