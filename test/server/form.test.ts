import { describe, expect, it } from 'vitest';
import { OAuthError } from '../../src/server/errors.ts';
import { checkFormCharset, parseForm } from '../../src/server/form.ts';

function refusal(fn: () => unknown): { error: string; description: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof OAuthError) return { error: err.error, description: err.description };
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('parseForm', () => {
  it('decodes + as a space and %XX as UTF-8', () => {
    expect({ ...parseForm('scope=a+b%20c&name=%C3%A9t%C3%A9').params }).toEqual({
      scope: 'a b c',
      name: 'été',
    });
  });

  it('keeps names like __proto__ and constructor as plain parameters', () => {
    const { params } = parseForm('__proto__=x&constructor=y&toString=z');
    expect(Object.getPrototypeOf(params)).toBeNull();
    expect(Object.keys(params)).toEqual(['__proto__', 'constructor', 'toString']);
    expect(params['__proto__']).toBe('x');
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('keeps empty values and names without =', () => {
    expect({ ...parseForm('a=&b&&c=1&').params }).toEqual({ a: '', b: '', c: '1' });
  });

  it('collects every resource value in order', () => {
    const form = parseForm('resource=https%3A%2F%2Fa&x=1&resource=https%3A%2F%2Fb&resource=');
    expect(form.resources).toEqual(['https://a', 'https://b', '']);
    expect(form.params).not.toHaveProperty('resource');
  });

  it.each(['a=1&a=2', 'a=1&%61=2', 'a=&a=', '__proto__=1&__proto__=2'])(
    'refuses a parameter included more than once: %s',
    (body) => {
      expect(refusal(() => parseForm(body)).error).toBe('invalid_request');
    },
  );

  it.each(['a=%', 'a=%zz', '%zz=1', 'a=%C3%28', 'a=%ED%A0%80'])(
    'refuses malformed percent-encoding: %s',
    (body) => {
      expect(refusal(() => parseForm(body))).toEqual({
        error: 'invalid_request',
        description: 'the request body has malformed percent-encoding',
      });
    },
  );
});

describe('checkFormCharset', () => {
  it.each([
    'application/x-www-form-urlencoded',
    'application/x-www-form-urlencoded; charset=utf-8',
    'application/x-www-form-urlencoded;charset="UTF-8"',
  ])('accepts %s', (type) => {
    expect(() => checkFormCharset(type)).not.toThrow();
  });

  it.each([
    'application/x-www-form-urlencoded; charset=latin1',
    'application/x-www-form-urlencoded; charset=',
  ])('refuses %s', (type) => {
    expect(refusal(() => checkFormCharset(type)).error).toBe('invalid_request');
  });
});
