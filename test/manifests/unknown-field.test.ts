import { describe, expect, it } from 'vitest';
import { unknownFieldMessage } from '../../src/manifests/messages.ts';

const SECRET_KEYS = ['clientId', 'clientSecret', 'issuer', 'tokenEndpoint'];

describe('unknownFieldMessage', () => {
  it.each<[string, string, readonly string[], string]>([
    [
      'names the field meant and, for a small mapping, every field it takes',
      'client_secret',
      SECRET_KEYS,
      'unknown field "client_secret"; did you mean "clientSecret"? (fields here: clientId, clientSecret, issuer, tokenEndpoint)',
    ],
    [
      'lists the fields of a small mapping even when none is near',
      'password',
      SECRET_KEYS,
      'unknown field "password"; fields here: clientId, clientSecret, issuer, tokenEndpoint',
    ],
    [
      'only guesses in a large mapping, whose list would drown the line',
      'grantType',
      [
        'clientId',
        'displayName',
        'appType',
        'grantTypes',
        'tokenEndpointAuthMethod',
        'grants',
        'roles',
        'organizationUsage',
        'secret',
      ],
      'unknown field "grantType"; did you mean "grantTypes"?',
    ],
    [
      'says no more than that in a large mapping with nothing near',
      'bogus',
      [
        'clientId',
        'displayName',
        'appType',
        'grantTypes',
        'tokenEndpointAuthMethod',
        'grants',
        'roles',
        'organizationUsage',
        'secret',
      ],
      'unknown field "bogus"',
    ],
    ['nor where no field is allowed at all', 'extra', [], 'unknown field "extra"'],
  ])('%s', (_, field, known, message) => {
    expect(unknownFieldMessage(field, known)).toBe(message);
  });
});
