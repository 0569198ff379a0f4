/**
 * Requests Node's HTTP parser refuses before Koa sees them (a NUL or other control byte in a header,
 * a request line with raw non-ASCII bytes, headers over 16 KB, a bad Content-Length) still get the
 * error envelope: Node's own answer is a bare status line with no body.
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { catalogueEntry, type ErrorCode } from '../error-catalogue';

interface ParserError extends Error {
  code?: string;
}

function codeFor(error: ParserError): ErrorCode {
  if (error.code === 'HPE_HEADER_OVERFLOW') return 'headers_too_large';
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'request_timeout';
  return 'bad_request';
}

/** A `clientError` listener: answers in the envelope and closes the connection. */
export function answerClientError(error: ParserError, socket: Duplex): void {
  // A reset peer cannot read an answer; a response already under way cannot be replaced (Node's own rule).
  const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
  if (error.code === 'ECONNRESET' || !socket.writable || inFlight) {
    socket.destroy();
    return;
  }
  const code = codeFor(error);
  const { status } = catalogueEntry(code);
  const message = code === 'bad_request' ? 'The request is not valid HTTP' : catalogueEntry(code).message;
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
