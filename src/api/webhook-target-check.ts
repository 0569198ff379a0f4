/** Refusing, when it is written, a webhook URL that points into the private network (not only at delivery). */
import { ValidationError } from '../errors';
import { isPrivateHostname } from '../../providers/net/private-address';

/** Throws 400 `invalid_body` naming `field` when `url` targets a private host and those are not allowed. */
export function refusePrivateWebhookUrl(url: string | null | undefined, field: string, allowPrivate: boolean): void {
  if (allowPrivate || !url) return;
  let hostname: string;
  try {
    hostname = new URL(url).hostname;
  } catch {
    return; // the URL schema reports it
  }
  if (!isPrivateHostname(hostname)) return;
  const message = 'must not target a loopback or private address (ALLOW_PRIVATE_NETWORK_TARGETS is off)';
  throw new ValidationError('invalid_body', 'Invalid request body', { errors: [{ code: 'custom', message, path: [field] }] });
}
