import { ROTATE_SECRET_ANNOTATION } from '../api/oauth-client.ts';
import type { LatchkeyEvents } from '../events.ts';
import type { SecretAction } from './client-secret-rotation.ts';

/** `secret.issued` on the event bus: a new client secret is in a Secret. */
export type SecretIssued = LatchkeyEvents['secret.issued'];

/** A Kubernetes Event about the OAuthClient; `once`: recorded once per distinct note, not per reconcile. */
export interface SecretEventNote {
  type: 'Normal' | 'Warning';
  reason: string;
  action: 'IssueSecret' | 'RotateSecret';
  note: string;
  once?: true;
}

/** What to tell once a Secret action was applied, in order: a bus event or a Kubernetes Event. */
export type SecretNews = { emit: SecretIssued } | { record: SecretEventNote };

/**
 * What applying `action` to the Secret of client `clientName` is worth telling, in the order it is told.
 * `secretName` is the Secret the client names (a created Secret's name is in the action). Notes never hold
 * the secret, only where it is.
 */
export function secretNews(
  action: SecretAction,
  subject: { namespace: string; clientName: string; secretName: string },
): SecretNews[] {
  const { namespace, clientName } = subject;
  switch (action.kind) {
    case 'none':
      return [];
    case 'create': {
      const secretName = action.body.metadata.name;
      const issued: SecretIssued = {
        namespace,
        name: secretName,
        clientId: clientName,
        reason: action.recreated ? 'recreated' : 'created',
      };
      const note = action.recreated
        ? `Secret ${namespace}/${secretName} was missing; issued a new client secret into it (the previous secret no longer works)`
        : `issued a new client secret into Secret ${namespace}/${secretName}`;
      const reason = action.recreated ? 'SecretRecreated' : 'SecretIssued';
      return [{ emit: issued }, { record: { type: 'Normal', reason, action: 'IssueSecret', note } }];
    }
    case 'update':
      return updateNews(action, namespace, clientName, subject.secretName);
    case 'conflict':
      return [
        {
          record: {
            type: 'Warning',
            reason: 'SecretConflict',
            action: 'IssueSecret',
            note: action.message,
            once: true,
          },
        },
      ];
  }
}

function updateNews(
  action: Extract<SecretAction, { kind: 'update' }>,
  namespace: string,
  clientName: string,
  secretName: string,
): SecretNews[] {
  const news: SecretNews[] = [];
  if (action.secretReplaced) {
    const note = `Secret ${namespace}/${secretName} had no client secret; issued a new one`;
    news.push({ record: { type: 'Normal', reason: 'SecretRecreated', action: 'IssueSecret', note } });
  }
  if (action.rotated !== undefined) {
    const { cause, previousValidUntil } = action.rotated;
    const why =
      cause === 'requested' ? `annotation ${ROTATE_SECRET_ANNOTATION}` : 'spec.secret.rotation.interval';
    news.push(
      { emit: { namespace, name: secretName, clientId: clientName, reason: 'rotated' } },
      {
        record: {
          type: 'Normal',
          reason: 'SecretRotated',
          action: 'RotateSecret',
          note: `secret rotated in Secret ${namespace}/${secretName} (${why}); previous valid until ${previousValidUntil}`,
        },
      },
    );
  }
  if (action.previousExpired === true) {
    const note = `the previous client secret no longer works: its grace period ended; removed it from Secret ${namespace}/${secretName}`;
    news.push({ record: { type: 'Normal', reason: 'PreviousSecretExpired', action: 'RotateSecret', note } });
  }
  return news;
}
