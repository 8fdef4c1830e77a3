import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/kube/types.ts';
import { claimHeld, declaredFrom } from '../../src/operator/world.ts';

const ready = (reason: string) => ({
  type: 'Ready',
  status: reason === 'Reconciled' ? 'True' : 'False',
  reason,
  message: '',
  lastTransitionTime: '2026-01-01T00:00:00Z',
});
const object = (generation: number, status: unknown): KubeObject => ({
  apiVersion: 'latchkey.dev/v1alpha1',
  kind: 'ResourceServer',
  metadata: { name: 'api', namespace: 'b', generation, uid: 'u1', creationTimestamp: '2026-01-01T00:00:00Z' },
  spec: { identifier: 'https://b.internal' },
  status,
});

describe('claimHeld: a status that says the object holds its name (src/store/claims.ts)', () => {
  it.each([
    [
      'in effect, this generation',
      object(2, { observedGeneration: 2, conditions: [ready('Reconciled')] }),
      true,
    ],
    [
      'not Ready for another reason: still holds its name',
      object(2, { observedGeneration: 2, conditions: [ready('ReferenceNotFound')] }),
      true,
    ],
    [
      'lost the identifier',
      object(2, { observedGeneration: 2, conditions: [ready('IdentifierConflict')] }),
      false,
    ],
    [
      'lost the client id',
      object(2, { observedGeneration: 2, conditions: [ready('ClientIdConflict')] }),
      false,
    ],
    [
      'may not have the client id',
      object(2, { observedGeneration: 2, conditions: [ready('ClientIdNotAllowed')] }),
      false,
    ],
    ['an older generation', object(3, { observedGeneration: 2, conditions: [ready('Reconciled')] }), false],
    ['no status', object(1, undefined), false],
    ['no Ready condition', object(1, { observedGeneration: 1, conditions: [] }), false],
    ['conditions not a list', object(1, { observedGeneration: 1, conditions: 'Ready' }), false],
    [
      'a hostile condition',
      object(1, { observedGeneration: 1, conditions: [null, { type: 'Ready' }] }),
      false,
    ],
  ])('%s → %s', (_, o, held) => {
    expect(claimHeld(o)).toBe(held);
    expect(declaredFrom('ResourceServer', o)).toMatchObject(held ? { claimHeld: true } : {});
    if (!held) expect(declaredFrom('ResourceServer', o)).not.toHaveProperty('claimHeld');
  });
});
