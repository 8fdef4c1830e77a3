import { vetUrl, type AddressPolicy } from '../../outbound/address-policy.ts';

/**
 * Why Latchkey will not fetch a client's `jwksUri`, judged as far as it can be without DNS: the scheme, and,
 * under the policy of whoever runs Latchkey, a host that is an IP literal or a name that is always local
 * (the token server judges every resolved address again when it connects). Without a policy (`latchkey
 * validate`, offline) only the scheme is judged: which hosts may use plain http is the operator's to say.
 * Undefined when it may be fetched.
 *
 * @example
 * jwksUriProblem('http://169.254.169.254/latest', STRICT_POLICY);
 * // 'plain http is allowed only for hosts the operator lists in --allow-issuer-hosts'
 */
export function jwksUriProblem(uri: string, policy: AddressPolicy | undefined): string | undefined {
  if (!URL.canParse(uri)) return 'it is not a URL';
  const url = new URL(uri);
  if (policy === undefined) {
    return url.protocol === 'https:'
      ? undefined
      : 'it is not an https URL: plain http is for dev mode, or a host the operator lists in --allow-issuer-hosts';
  }
  const verdict = vetUrl(url, policy);
  return verdict.ok ? undefined : verdict.reason;
}
