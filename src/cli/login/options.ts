import { ConfigError } from '../../config-error.ts';
import { formatUsage, parseOptions, type CommandDef, type OptionDef } from '../../option-table.ts';

/** What `latchkey login`, `token` and `kubectl-credential` share: which issuer and client, where tokens are kept. */
const SHARED = [
  {
    name: 'issuer',
    type: 'string',
    value: 'URL',
    required: true,
    description:
      'the Latchkey issuer, as its discovery document names it; https, or http on a loopback address (latchkey dev)',
  },
  {
    name: 'client-id',
    type: 'string',
    value: 'ID',
    required: true,
    description:
      'the client id of a public OAuthClient (appType native, tokenEndpointAuthMethod none) with the device grant, or with authorization_code and the redirect URI http://127.0.0.1/callback for --flow browser',
  },
  {
    name: 'organization',
    type: 'string',
    value: 'ORG',
    description:
      'sign in to this organization (its org_id or name), as the authorization request parameter organization; its tokens are kept apart from those of other organizations',
  },
  {
    name: 'cache-dir',
    type: 'string',
    value: 'DIR',
    defaultText: '$XDG_CACHE_HOME/latchkey, else ~/.cache/latchkey',
    description: 'where tokens are kept: one file per issuer and client, which only you can read (mode 0600)',
  },
] as const satisfies readonly OptionDef[];

const SCOPE = {
  name: 'scope',
  type: 'string',
  value: 'SCOPES',
  default: 'openid profile email offline_access',
  description:
    'the scopes to ask for, space-separated; offline_access gets a refresh token, so later commands need no new sign-in',
} as const satisfies OptionDef;

export const LOGIN_OPTIONS = [
  ...SHARED,
  SCOPE,
  {
    name: 'flow',
    type: 'string',
    value: 'F',
    default: 'device',
    description:
      'device: print an address and a code to enter on any device with a browser (RFC 8628), which works over SSH; browser: print an address to open on this machine, whose browser comes back to 127.0.0.1 (RFC 8252)',
  },
] as const satisfies readonly OptionDef[];

export const TOKEN_OPTIONS = [
  ...SHARED,
  {
    name: 'id-token',
    type: 'boolean',
    description: 'print the ID token instead of the access token',
  },
] as const satisfies readonly OptionDef[];

export const KUBECTL_CREDENTIAL_OPTIONS = [...SHARED, SCOPE] as const satisfies readonly OptionDef[];

export const LOGIN_COMMAND: CommandDef = {
  name: 'login',
  synopsis: 'latchkey login --issuer URL --client-id ID [options]',
  description: [
    'Signs you in through Latchkey and keeps the tokens for latchkey token and latchkey kubectl-credential. With --flow device it prints an address and a code on standard error and waits until you confirm the code in a browser, on any device; with --flow browser the browser comes back to a listener on 127.0.0.1.',
    'Prints nothing on standard output. Exits 0 once signed in, 1 when the sign-in was denied, expired or failed.',
  ],
  options: LOGIN_OPTIONS,
};

export const TOKEN_COMMAND: CommandDef = {
  name: 'token',
  synopsis: 'latchkey token --issuer URL --client-id ID [--organization ORG] [--id-token]',
  description: [
    'Prints a fresh access token (or ID token) of the sign-in latchkey login kept, refreshing it first when it expires within a minute. Exits 1, saying to run latchkey login, when there is none or it can no longer be refreshed.',
  ],
  options: TOKEN_OPTIONS,
};

export const KUBECTL_CREDENTIAL_COMMAND: CommandDef = {
  name: 'kubectl-credential',
  synopsis: 'latchkey kubectl-credential --issuer URL --client-id ID [options]',
  description: [
    "A kubectl exec credential plugin (client.authentication.k8s.io/v1): prints an ExecCredential with your ID token for a kube-apiserver that trusts Latchkey as an OIDC issuer. Refreshes it when needed; with no sign-in kept, runs latchkey login's device flow on standard error when kubectl lets the plugin interact (KUBERNETES_EXEC_INFO), else exits 1 saying to run latchkey login.",
  ],
  options: KUBECTL_CREDENTIAL_OPTIONS,
};

export const LOGIN_USAGE = formatUsage(LOGIN_COMMAND);
export const TOKEN_USAGE = formatUsage(TOKEN_COMMAND);
export const KUBECTL_CREDENTIAL_USAGE = formatUsage(KUBECTL_CREDENTIAL_COMMAND);

/** Which issuer, client and organization, and where their tokens are kept. */
export interface Target {
  issuer: string;
  clientId: string;
  /** `--organization`: the sign-in is for it, and its tokens are kept under their own name. */
  organization?: string;
  cacheDir: string;
}

export interface LoginArgs extends Target {
  scope: string;
  flow: 'device' | 'browser';
}

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * The issuer as given, checked: an absolute https URL, or http on a loopback address (`latchkey dev`). Tokens
 * must not travel in the clear to another machine.
 *
 * @throws {ConfigError} naming `--issuer`
 */
export function checkIssuer(issuer: string): string {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new ConfigError(
      '--issuer',
      `must be an absolute URL such as https://auth.example.com, got ${JSON.stringify(issuer)}`,
    );
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname))) return issuer;
  throw new ConfigError(
    '--issuer',
    `must use https (http only on 127.0.0.1, [::1] or localhost), got ${JSON.stringify(issuer)}`,
  );
}

/** `$XDG_CACHE_HOME/latchkey`, else `<home>/.cache/latchkey`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv, home: string): string {
  const xdg = env.XDG_CACHE_HOME;
  return `${xdg !== undefined && xdg.startsWith('/') ? xdg : `${home}/.cache`}/latchkey`;
}

function targetOf(
  values: { issuer?: string; 'client-id'?: string; organization?: string; 'cache-dir'?: string },
  cacheDir: string,
  usage: string,
): Target {
  if (values.issuer === undefined) throw new ConfigError('--issuer', `is required\n\n${usage}`);
  const clientId = values['client-id'];
  if (clientId === undefined || clientId === '')
    throw new ConfigError('--client-id', `is required\n\n${usage}`);
  const { organization } = values;
  return {
    issuer: checkIssuer(values.issuer),
    clientId,
    ...(organization === undefined || organization === '' ? {} : { organization }),
    cacheDir: values['cache-dir'] ?? cacheDir,
  };
}

export function parseLoginArgs(argv: readonly string[], cacheDir: string): LoginArgs {
  const { values } = parseOptions(LOGIN_OPTIONS, argv, false, 'login');
  const flow = values.flow ?? 'device';
  if (flow !== 'device' && flow !== 'browser') {
    throw new ConfigError('--flow', `must be device or browser, got ${JSON.stringify(flow)}`);
  }
  return { ...targetOf(values, cacheDir, LOGIN_USAGE), scope: values.scope ?? SCOPE.default, flow };
}

export function parseTokenArgs(argv: readonly string[], cacheDir: string): Target & { idToken: boolean } {
  const { values } = parseOptions(TOKEN_OPTIONS, argv, false, 'token');
  return { ...targetOf(values, cacheDir, TOKEN_USAGE), idToken: values['id-token'] === true };
}

export function parseKubectlCredentialArgs(
  argv: readonly string[],
  cacheDir: string,
): Target & { scope: string } {
  const { values } = parseOptions(KUBECTL_CREDENTIAL_OPTIONS, argv, false, 'kubectl-credential');
  return { ...targetOf(values, cacheDir, KUBECTL_CREDENTIAL_USAGE), scope: values.scope ?? SCOPE.default };
}
