import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config-error.ts';
import { issuerUrls } from '../../src/server/issuer.ts';

describe('issuerUrls', () => {
  it('derives the endpoints of an issuer without a path', () => {
    expect(issuerUrls('https://auth.example.com')).toEqual({
      issuer: 'https://auth.example.com',
      tokenEndpoint: 'https://auth.example.com/oauth2/token',
      jwksUri: 'https://auth.example.com/.well-known/jwks.json',
      introspectionEndpoint: 'https://auth.example.com/oauth2/introspect',
      revocationEndpoint: 'https://auth.example.com/oauth2/revoke',
      authorizationEndpoint: 'https://auth.example.com/oauth2/authorize',
      parEndpoint: 'https://auth.example.com/oauth2/par',
      deviceAuthorizationEndpoint: 'https://auth.example.com/oauth2/device_authorization',
      verificationUri: 'https://auth.example.com/device',
      userinfoEndpoint: 'https://auth.example.com/oauth2/userinfo',
      endSessionEndpoint: 'https://auth.example.com/oauth2/logout',
      loginCallback: 'https://auth.example.com/login/callback',
      managementApi: 'https://auth.example.com/api/v1',
      paths: {
        token: '/oauth2/token',
        jwks: '/.well-known/jwks.json',
        introspection: '/oauth2/introspect',
        revocation: '/oauth2/revoke',
        authorize: '/oauth2/authorize',
        par: '/oauth2/par',
        deviceAuthorization: '/oauth2/device_authorization',
        device: '/device',
        userinfo: '/oauth2/userinfo',
        endSession: '/oauth2/logout',
        login: '/login',
        loginCallback: '/login/callback',
        consent: '/consent',
        organization: '/organization',
        management: '/api/v1',
        openidConfiguration: '/.well-known/openid-configuration',
        oauthMetadata: '/.well-known/oauth-authorization-server',
      },
    });
  });

  it('inserts the RFC 8414 well-known between host and path', () => {
    const urls = issuerUrls('http://127.0.0.1:8080/tenants/acme');
    expect(urls.tokenEndpoint).toBe('http://127.0.0.1:8080/tenants/acme/oauth2/token');
    expect(urls.introspectionEndpoint).toBe('http://127.0.0.1:8080/tenants/acme/oauth2/introspect');
    expect(urls.revocationEndpoint).toBe('http://127.0.0.1:8080/tenants/acme/oauth2/revoke');
    expect(urls.authorizationEndpoint).toBe('http://127.0.0.1:8080/tenants/acme/oauth2/authorize');
    expect(urls.loginCallback).toBe('http://127.0.0.1:8080/tenants/acme/login/callback');
    expect(urls.paths.openidConfiguration).toBe('/tenants/acme/.well-known/openid-configuration');
    expect(urls.paths.oauthMetadata).toBe('/.well-known/oauth-authorization-server/tenants/acme');
  });

  it.each([
    ['not a url', 'must be an absolute http(s) URL'],
    ['ftp://auth.example.com', 'must use https'],
    ['https://auth.example.com/', "must not end with '/'"],
    ['https://auth.example.com/a/', "must not end with '/'"],
    ['https://auth.example.com?x=1', 'must not contain credentials, a query or a fragment'],
    ['https://auth.example.com#f', 'must not contain credentials, a query or a fragment'],
    ['https://user:pw@auth.example.com', 'must not contain credentials, a query or a fragment'],
    ['HTTPS://Auth.Example.com', "must be written in canonical form: 'https://auth.example.com'"],
    ['https://auth.example.com/a b', 'must be written in canonical form'],
    ['https://auth.example.com/a%2Fb', 'its path may contain only'],
  ])('refuses %s at start-up', (issuer, message) => {
    expect(() => issuerUrls(issuer)).toThrow(ConfigError);
    expect(() => issuerUrls(issuer)).toThrow(`issuer: ${message}`);
  });
});
