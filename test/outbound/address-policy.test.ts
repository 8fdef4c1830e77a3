import { describe, expect, it } from 'vitest';
import {
  addressPolicyOption,
  STRICT_POLICY,
  vetAddress,
  vetUrl,
  type AddressPolicy,
} from '../../src/outbound/address-policy.ts';
import { parseIp } from '../../src/outbound/ip.ts';

const DEV: AddressPolicy = { ...STRICT_POLICY, allowLoopback: true };
const HTTP_ONLY_FOR = 'plain http is allowed only for hosts the operator lists in --allow-issuer-hosts';
const no = (reason: string) => ({ ok: false, reason });
const OK = { ok: true };

describe('vetUrl: what a tenant may write as an issuer (operator defaults)', () => {
  it.each([
    ['https://sso.example.com', OK],
    ['https://10.0.0.5:8443/realms/a', OK],
    ['https://[fd12:3456::1]', OK],
    ['http://sso.example.com', no(HTTP_ONLY_FOR)],
    ['http://127.0.0.1:22', no(HTTP_ONLY_FOR)],
    ['http://169.254.169.254/latest', no(HTTP_ONLY_FOR)],
    ['https://127.0.0.1:22', no('127.0.0.1 is a loopback address')],
    ['https://127.1', no('127.0.0.1 is a loopback address')],
    ['https://0x7f.1', no('127.0.0.1 is a loopback address')],
    ['https://2130706433', no('127.0.0.1 is a loopback address')],
    ['https://017700000001', no('127.0.0.1 is a loopback address')],
    ['https://0177.0.0.1', no('127.0.0.1 is a loopback address')],
    ['https://[::1]', no('[::1] is a loopback address')],
    ['https://[::ffff:127.0.0.1]', no('[::ffff:7f00:1] is a loopback address')],
    ['https://[::ffff:169.254.169.254]', no('[::ffff:a9fe:a9fe] is a cloud metadata address')],
    ['https://[64:ff9b::169.254.169.254]', no('[64:ff9b::a9fe:a9fe] is a cloud metadata address')],
    ['https://169.254.169.254/latest', no('169.254.169.254 is a cloud metadata address')],
    ['https://[fd00:ec2::254]', no('[fd00:ec2::254] is a cloud metadata address')],
    ['https://100.100.100.200', no('100.100.100.200 is a cloud metadata address')],
    ['https://169.254.10.1', no('169.254.10.1 is a link-local address')],
    ['https://[fe80::1]', no('[fe80::1] is a link-local address')],
    ['https://0.0.0.0', no('0.0.0.0 is an unspecified address')],
    ['https://0', no('0.0.0.0 is an unspecified address')],
    ['https://[::]', no('[::] is an unspecified address')],
    ['https://224.0.0.1', no('224.0.0.1 is a multicast or reserved address')],
    ['https://255.255.255.255', no('255.255.255.255 is a multicast or reserved address')],
    ['https://metadata.google.internal', no('metadata.google.internal is a cloud metadata address')],
    ['https://METADATA.google.internal.', no('metadata.google.internal is a cloud metadata address')],
    ['https://localhost', no('localhost is a loopback address')],
    ['https://localhost.', no('localhost is a loopback address')],
    ['https://auth.localhost', no('auth.localhost is a loopback address')],
    ['ftp://sso.example.com', no('it is not an https URL')],
    ['https://user:pw@sso.example.com', no('it must not carry credentials')],
  ])('%s', (url, expected) => {
    expect(vetUrl(new URL(url), STRICT_POLICY)).toEqual(expected);
  });
});

describe('vetUrl in dev mode: loopback and plain http to it are allowed', () => {
  it.each([
    ['http://127.0.0.1:5556', OK],
    ['http://localhost:5556', OK],
    ['http://[::1]:5556', OK],
    ['https://127.1', OK],
    [
      'http://sso.example.com',
      no('plain http is allowed only for localhost, a loopback address or a host in --allow-issuer-hosts'),
    ],
    ['https://169.254.169.254', no('169.254.169.254 is a cloud metadata address')],
    ['https://[fe80::1]', no('[fe80::1] is a link-local address')],
  ])('%s', (url, expected) => {
    expect(vetUrl(new URL(url), DEV)).toEqual(expected);
  });
});

describe('vetAddress: every address a name resolves to', () => {
  it.each([
    ['203.0.113.7', OK],
    ['10.1.2.3', OK],
    ['192.168.1.1', OK],
    ['fd12::1', OK],
    ['127.0.0.1', no('sso.example.com resolves to a loopback address')],
    ['::1', no('sso.example.com resolves to a loopback address')],
    ['::ffff:127.0.0.1', no('sso.example.com resolves to a loopback address')],
    ['::ffff:a9fe:a9fe', no('sso.example.com resolves to a cloud metadata address')],
    ['169.254.169.254', no('sso.example.com resolves to a cloud metadata address')],
    ['fe80::1%eth0', no('sso.example.com resolves to a link-local address')],
    ['0.0.0.0', no('sso.example.com resolves to an unspecified address')],
    ['not-an-ip', no('sso.example.com resolves to something that is not an IP address')],
  ])('sso.example.com → %s', (address, expected) => {
    expect(vetAddress(address, STRICT_POLICY, 'sso.example.com')).toEqual(expected);
  });
});

describe('the operator widens or narrows the policy, never a manifest', () => {
  const policy = addressPolicyOption(
    'Dex.dex.svc.cluster.local., 127.0.0.0/8, ::1, 10.9.0.0/16',
    '10.0.0.0/8, fc00::/7',
    false,
  );

  it('reads host names and networks', () => {
    expect(policy.allowHosts).toEqual(['dex.dex.svc.cluster.local']);
    expect(policy.allowNetworks.map((n) => n.text)).toEqual(['127.0.0.0/8', '::1', '10.9.0.0/16']);
    expect(policy.denyNetworks.map((n) => n.text)).toEqual(['10.0.0.0/8', 'fc00::/7']);
  });

  it.each([
    ['http://dex.dex.svc.cluster.local:5556', OK],
    ['http://127.0.0.1:8080', OK],
    ['http://[::1]:8080', OK],
    ['https://169.254.169.254', no('169.254.169.254 is a cloud metadata address')],
    ['http://dex2.dex.svc.cluster.local', no(HTTP_ONLY_FOR)],
  ])('%s', (url, expected) => {
    expect(vetUrl(new URL(url), policy)).toEqual(expected);
  });

  it.each([
    ['10.1.2.3', no('idp.corp resolves to an address the operator denies (--deny-issuer-networks)')],
    ['::ffff:10.1.2.3', no('idp.corp resolves to an address the operator denies (--deny-issuer-networks)')],
    ['fd00::5', no('idp.corp resolves to an address the operator denies (--deny-issuer-networks)')],
    ['10.9.0.7', OK],
    ['127.0.0.1', OK],
    ['192.168.0.1', OK],
  ])('idp.corp → %s', (address, expected) => {
    expect(vetAddress(address, policy, 'idp.corp')).toEqual(expected);
  });

  it('trusts a listed name at any address', () => {
    expect(vetAddress('169.254.169.254', policy, 'dex.dex.svc.cluster.local')).toEqual(OK);
  });

  it.each([
    [
      '--allow-issuer-hosts',
      'exa mple',
      undefined,
      '--allow-issuer-hosts: "exa mple" is not a host name or IP network',
    ],
    [
      '--allow-issuer-hosts',
      '10.0.0.0/33',
      undefined,
      '--allow-issuer-hosts: "10.0.0.0/33" is not an IP address or CIDR network',
    ],
    [
      '--deny-issuer-networks',
      undefined,
      'private',
      '--deny-issuer-networks: "private" is not an IP address or CIDR network',
    ],
  ])('%s refuses %j %j', (_option, allow, deny, message) => {
    expect(() => addressPolicyOption(allow, deny, false)).toThrow(message);
  });
});

describe('parseIp', () => {
  it.each([
    ['1.2.3.4', [1, 2, 3, 4]],
    ['::', new Array(16).fill(0)],
    ['[::ffff:1.2.3.4]', [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 1, 2, 3, 4]],
  ])('%s', (text, bytes) => {
    expect(parseIp(text)?.bytes).toEqual(bytes);
  });

  it.each(['1.2.3', '256.1.1.1', '1::2::3', '1:2:3:4:5:6:7:8:9', 'g::1', '', 'example.com'])(
    'refuses %j',
    (text) => {
      expect(parseIp(text)).toBeUndefined();
    },
  );
});
