import { KubeApiError, type KubeApi } from '../kube/types.ts';
import { isRecord } from '../manifests/metadata.ts';
import { oneLine, type FetchedJson } from '../outbound/fetch-json.ts';
import type { ConnectionCheck } from '../store/objects.ts';
import { countSigningKeys } from './issuer-jwks.ts';

const fail = (message: string): ConnectionCheck => ({ ok: false, message });

const KUBE_DISCOVERY_PATH = '/.well-known/openid-configuration';
// kube-apiserver serves its ServiceAccount keys here whatever `jwks_uri` says: --service-account-jwks-uri
// only changes what discovery advertises (often an external URL this process cannot reach).
const KUBE_JWKS_PATH = '/openid/v1/jwks';

/**
 * Checks this cluster's ServiceAccount token issuer through the API server: its discovery document and
 * its JWK Set (Kubernetes "Service account issuer discovery"). Both paths need the ClusterRole
 * `system:service-account-issuer-discovery`; a refusal becomes a message that says so.
 *
 * @example
 * const check = await checkKubernetesIssuer(kubeApi);
 * // {ok: true, issuer: 'https://kubernetes.default.svc.cluster.local', jwksUri: 'https://…/openid/v1/jwks', keys: 1}
 */
export async function checkKubernetesIssuer(api: Pick<KubeApi, 'getRaw'>): Promise<ConnectionCheck> {
  const discovery = await getFromApiServer(api, KUBE_DISCOVERY_PATH);
  if (!discovery.ok) return discovery;
  const doc = discovery.json;
  const where = `the API server's ${KUBE_DISCOVERY_PATH}`;
  if (typeof doc.issuer !== 'string' || doc.issuer === '') return fail(`${where} has no issuer`);
  if (typeof doc.jwks_uri !== 'string' || doc.jwks_uri === '') return fail(`${where} has no jwks_uri`);

  const jwks = await getFromApiServer(api, KUBE_JWKS_PATH);
  if (!jwks.ok) return jwks;
  const counted = await countSigningKeys(jwks.json, `the API server's JWKS at ${KUBE_JWKS_PATH}`);
  if (!counted.ok) return counted;
  return { ok: true, issuer: doc.issuer, jwksUri: doc.jwks_uri, keys: counted.keys, jwks: counted.jwks };
}

async function getFromApiServer(api: Pick<KubeApi, 'getRaw'>, path: string): Promise<FetchedJson> {
  const prefix = `GET ${path} on the API server`;
  let json: unknown;
  try {
    json = await api.getRaw(path);
  } catch (error) {
    return { ok: false, message: `${prefix} ${describeKubeFailure(error, path)}` };
  }
  if (!isRecord(json)) return { ok: false, message: `${prefix}: the response is not a JSON object` };
  return { ok: true, json };
}

function describeKubeFailure(error: unknown, path: string): string {
  const text = oneLine(error instanceof Error ? error.message : String(error));
  // The Kubernetes client's errors already start with `GET <path>: `, which the caller's prefix says.
  const detail = text.startsWith(`GET ${path}: `) ? text.slice(`GET ${path}: `.length) : text;
  if (!(error instanceof KubeApiError)) return `failed: ${detail}`;
  const answered = `answered ${error.status}${detail ? ` (${detail})` : ''}`;
  switch (error.status) {
    case 401:
      return `${answered}; the API server does not accept Latchkey's credentials`;
    case 403:
      return `${answered}; bind Latchkey's ServiceAccount to the ClusterRole system:service-account-issuer-discovery`;
    case 404:
      return `${answered}; this API server does not serve ServiceAccount issuer discovery (see kube-apiserver's --service-account-issuer)`;
    default:
      return answered;
  }
}
