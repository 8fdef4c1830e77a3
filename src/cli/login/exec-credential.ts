/**
 * The client.authentication.k8s.io/v1 ExecCredential a kubectl exec plugin prints (Kubernetes "client-go
 * credential plugins"): the token kubectl sends as a bearer token, and when it expires, so kubectl asks again
 * in time instead of caching it forever.
 */
export interface ExecCredential {
  apiVersion: 'client.authentication.k8s.io/v1';
  kind: 'ExecCredential';
  status: { token: string; expirationTimestamp: string };
}

export function execCredential(token: string, expiresAtMs: number): ExecCredential {
  return {
    apiVersion: 'client.authentication.k8s.io/v1',
    kind: 'ExecCredential',
    status: { token, expirationTimestamp: new Date(expiresAtMs).toISOString().replace(/\.\d{3}Z$/, 'Z') },
  };
}

/**
 * Whether kubectl lets the plugin talk to the person: `KUBERNETES_EXEC_INFO` holds an ExecCredential whose
 * `spec.interactive` says so (the kubeconfig's `interactiveMode` and whether kubectl has a terminal). Without
 * it (an older kubectl, or the plugin run by hand) a terminal on standard error decides.
 */
export function interactiveOf(env: NodeJS.ProcessEnv, stderrIsTty = process.stderr.isTTY === true): boolean {
  const info = env.KUBERNETES_EXEC_INFO;
  if (info === undefined || info === '') return stderrIsTty;
  try {
    const parsed = JSON.parse(info) as { spec?: { interactive?: unknown } };
    return parsed.spec?.interactive === true;
  } catch {
    return false;
  }
}
