import { API_VERSION } from '../api/common.ts';
import { CLIENT_LABEL, MANAGED_LABELS } from '../api/labels.ts';
import type { KubeObject } from '../kube/types.ts';
import type { DeclaredOAuthClient } from '../store/objects.ts';
import { defaultClientId, secretNameOf, SHARED_SECRET_METHODS } from '../store/compile.ts';

export type SecretAction =
  | { kind: 'none' }
  /** Create the Secret; `recreated` when a Secret was issued before and is gone. */
  | { kind: 'create'; body: KubeObject; recreated: boolean }
  /** Refresh keys of our own Secret; `secretReplaced` when the secret key itself was missing. */
  | { kind: 'update'; data: Record<string, string>; secretReplaced: boolean }
  /** A Secret of that name exists and is not ours: never touch it. */
  | { kind: 'conflict'; message: string };

export interface SecretDecisionInput {
  client: DeclaredOAuthClient;
  uid: string;
  /** `status.secretName` as last written: a Secret was issued before. */
  issuedBefore: boolean;
  existing: KubeObject | undefined;
  urls: { issuer: string; tokenEndpoint: string };
  newSecret: () => string;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** What to do about a `source: Generate` client's Secret. Pure: the caller supplies the random secret. */
export function decideSecret(input: SecretDecisionInput): SecretAction {
  const { client, existing, urls } = input;
  const spec = client.spec;
  if (spec.secret.source !== 'Generate' || !SHARED_SECRET_METHODS.has(spec.tokenEndpointAuthMethod)) {
    return { kind: 'none' };
  }
  const { namespace, name } = client.metadata;
  const secretName = secretNameOf(client);
  const keys = spec.secret.keys;
  const descriptive: Record<string, string> = {
    [keys.clientId]: spec.clientId ?? defaultClientId(namespace, name),
    [keys.issuer]: urls.issuer,
    [keys.tokenEndpoint]: urls.tokenEndpoint,
  };

  if (existing === undefined) {
    return {
      kind: 'create',
      recreated: input.issuedBefore,
      body: {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name: secretName,
          namespace,
          labels: { ...MANAGED_LABELS, [CLIENT_LABEL]: name },
          ownerReferences: [
            {
              apiVersion: API_VERSION,
              kind: 'OAuthClient',
              name,
              uid: input.uid,
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
        type: 'Opaque',
        data: Object.fromEntries(
          Object.entries({ ...descriptive, [keys.clientSecret]: input.newSecret() }).map(([k, v]) => [
            k,
            b64(v),
          ]),
        ),
      },
    };
  }

  const owner = existing.metadata.ownerReferences?.find((r) => r.controller === true);
  if (owner?.uid !== input.uid) {
    return { kind: 'conflict', message: `Secret ${namespace}/${secretName} belongs to another owner` };
  }
  const data = (existing['data'] ?? {}) as Record<string, string>;
  const patch: Record<string, string> = {};
  for (const [k, v] of Object.entries(descriptive)) if (data[k] !== b64(v)) patch[k] = b64(v);
  const secretMissing = data[keys.clientSecret] === undefined || data[keys.clientSecret] === '';
  if (secretMissing) patch[keys.clientSecret] = b64(input.newSecret());
  return Object.keys(patch).length === 0
    ? { kind: 'none' }
    : { kind: 'update', data: patch, secretReplaced: secretMissing };
}
