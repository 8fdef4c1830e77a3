import { describe, expect, it } from 'vitest';
import {
  statusNews,
  statusPatch,
  waitsForOwnSecret,
  type Condition,
  type ObjectStatus,
} from '../../src/operator/status.ts';
import type { DeclaredObject, InvalidObject } from '../../src/store/objects.ts';

const ready = (
  status: Condition['status'],
  reason: string,
  message = `${reason} happened`,
): ObjectStatus => ({
  observedGeneration: 1,
  conditions: [{ type: 'Ready', status, reason, message, lastTransitionTime: '2026-11-24T10:00:00Z' }],
});
const never = () => false;

describe('whether a status change is worth an Event', () => {
  it.each([
    ['first status, Ready', undefined, ready('True', 'Reconciled'), undefined],
    ['first status, not Ready', undefined, ready('False', 'ReferenceNotFound'), 'Warning'],
    ['first status, Unknown', undefined, ready('Unknown', 'DiscoveryNotChecked'), 'Normal'],
    ['becomes Ready', ready('False', 'ReferenceNotFound'), ready('True', 'Reconciled'), undefined],
    ['stops being Ready', ready('True', 'Reconciled'), ready('False', 'ReferenceNotFound'), 'Warning'],
    [
      'not Ready for another reason',
      ready('False', 'ReferenceNotFound'),
      ready('False', 'NamespaceNotAllowed'),
      'Warning',
    ],
    [
      'not Ready for the same reason, new message',
      ready('False', 'ReferenceNotFound', 'a'),
      ready('False', 'ReferenceNotFound', 'b'),
      undefined,
    ],
    ['from False to Unknown, same reason', ready('False', 'X'), ready('Unknown', 'X'), 'Normal'],
  ] as const)('%s: %s', (_case, current, next, type) => {
    const news = statusNews(current, next, never);
    expect(news?.type).toBe(type);
    if (news !== undefined) {
      const condition = next.conditions?.[0];
      expect(news).toEqual({ type, reason: condition?.reason, message: condition?.message });
    }
  });

  it('a client waiting for the Secret the leader is creating is no news', () => {
    const next = ready('False', 'SecretMissing');
    expect(statusNews(undefined, next, (reason) => reason === 'SecretMissing')).toBeUndefined();
    expect(statusNews(undefined, next, never)?.reason).toBe('SecretMissing');
  });
});

describe('which objects wait for their own Secret', () => {
  const client = (source: 'Generate' | 'Existing'): DeclaredObject =>
    ({
      kind: 'OAuthClient',
      metadata: { name: 'c', namespace: 'ns' },
      spec: { secret: { source } },
    }) as DeclaredObject;
  const invalid: InvalidObject = {
    kind: 'OAuthClient',
    metadata: { name: 'c', namespace: 'ns' },
    message: 'bad',
  };

  it.each([
    [
      'a generating client missing its Secret',
      'OAuthClient',
      'SecretMissing',
      () => client('Generate'),
      true,
    ],
    [
      'a client whose Secret someone else writes',
      'OAuthClient',
      'SecretMissing',
      () => client('Existing'),
      false,
    ],
    ['a client whose spec the schema refuses', 'OAuthClient', 'SecretMissing', () => invalid, false],
    [
      'a generating client not Ready for another reason',
      'OAuthClient',
      'ReferenceNotFound',
      () => client('Generate'),
      false,
    ],
    ['a Connection', 'Connection', 'SecretMissing', () => client('Generate'), false],
  ] as const)('%s: %s', (_case, kind, reason, declared, waits) => {
    expect(waitsForOwnSecret(kind, reason, declared)).toBe(waits);
  });

  it('parses nothing for another reason', () => {
    expect(
      waitsForOwnSecret('OAuthClient', 'Reconciled', () => {
        throw new Error('read');
      }),
    ).toBe(false);
  });
});

describe('the status merge patch', () => {
  it('names every field of the new status and removes with null what no longer applies', () => {
    const current: ObjectStatus = {
      observedGeneration: 1,
      secretName: 's',
      previousSecretValidUntil: 't',
      conditions: [],
    };
    const next: ObjectStatus = { observedGeneration: 2, secretName: 's', conditions: [] };
    expect(statusPatch(current, next)).toEqual({
      previousSecretValidUntil: null,
      observedGeneration: 2,
      secretName: 's',
      conditions: [],
    });
    expect(statusPatch(undefined, next)).toEqual(next);
  });
});
