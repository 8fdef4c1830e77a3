/**
 * Signing in to Kubernetes itself through Latchkey (issue 13): a kube-apiserver started with a structured
 * authentication configuration (apiserver.config.k8s.io/v1) that trusts a Latchkey issuer on https, a person who
 * runs `latchkey login` and signs in through the company IdP (node-oidc-provider behind an `oidc` Connection), and
 * the ID token that `latchkey kubectl-credential` hands kubectl sent as kubectl sends it. A SelfSubjectReview
 * (`kubectl auth whoami`) shows the person's username and groups; RBAC bound to a group they have lets them list
 * namespaces, and a person without that group is denied.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { Agent, setGlobalDispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EventBus } from '../../src/events.ts';
import { STRICT_POLICY } from '../../src/outbound/address-policy.ts';
import { startServers, type RunningServers } from '../../src/server/start.ts';
import { openEmbeddedState } from '../../src/state/embedded/embedded-state.ts';
import type { RuntimeState } from '../../src/state/runtime-state.ts';
import { testKeys } from '../http/harness.ts';
import { FixedSource } from '../http/world.ts';
import { answerThroughIdp, DEVICE_CLI, DEVICE_GRANT } from '../people/device-support.ts';
import { companyConnection, peopleClient, peopleWorld } from '../people/harness.ts';
import { createCa, issueLeaf } from '../server/tls-certs.ts';
import { latchkey } from '../support/latchkey-cli.ts';
import { codeBlocks } from '../support/markdown.ts';
import { startCompanyIdp, type CompanyIdp } from '../support/oidc-upstream.ts';
import { startControlPlane, type ControlPlane } from './envtest.ts';

/** What the page's configuration puts before the claims it maps, so Latchkey's people never collide with others. */
const PREFIX = 'latchkey:';

let dir: string;
let idp: CompanyIdp;
let state: RuntimeState;
let latchkeyServers: RunningServers;
let cluster: ControlPlane;
let caFile: string;

/**
 * The AuthenticationConfiguration of docs/kubernetes-sign-in.md, as the page shows it, for this issuer: the page's
 * example client id becomes this test's, its issuer this Latchkey's, its CA the test CA.
 */
async function authenticationConfiguration(issuer: string, caPem: string): Promise<string> {
  const page = await readFile(new URL('../../docs/kubernetes-sign-in.md', import.meta.url), 'utf8');
  const block = codeBlocks(page).find(
    (b) => b.lang === 'yaml' && b.body.includes('kind: AuthenticationConfiguration'),
  );
  if (block === undefined) throw new Error('docs/kubernetes-sign-in.md shows no AuthenticationConfiguration');
  const config = parse(block.body) as { jwt: { issuer: Record<string, unknown> }[] };
  const [jwt] = config.jwt;
  if (jwt === undefined || config.jwt.length !== 1)
    throw new Error('expected one jwt authenticator on the page');
  expect(jwt.issuer.audiences).toEqual(['kubectl.platform']);
  jwt.issuer = { ...jwt.issuer, url: issuer, audiences: [DEVICE_CLI], certificateAuthority: caPem };
  return JSON.stringify(config);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'latchkey-kubectl-'));
  const ca = await createCa(join(dir, 'ca'));
  caFile = ca.certFile;
  const leaf = await issueLeaf(ca, { serial: 0x2001, days: 2 });
  await writeFile(join(dir, 'tls.crt'), leaf.cert);
  await writeFile(join(dir, 'tls.key'), leaf.key);
  idp = await startCompanyIdp({ redirectUris: [] });
  const corp = companyConnection(idp.issuer, { scopes: ['groups'] });
  const keys = await testKeys();
  state = await openEmbeddedState({ path: ':memory:', clock: () => Date.now() });
  latchkeyServers = await startServers({
    source: new FixedSource(
      peopleWorld(keys, {
        connections: [corp],
        clients: [
          peopleClient(
            { clientId: DEVICE_CLI, authMethod: 'none', grantTypes: [DEVICE_GRANT, 'refresh_token'] },
            {
              appType: 'native',
              displayName: 'kubectl',
              redirectUris: [],
              connections: ['corp/company-idp'],
            },
          ),
        ],
      }),
    ),
    port: 0,
    opsPort: 0,
    now: () => Date.now(),
    events: new EventBus(),
    ready: () => true,
    state,
    addressPolicy: { ...STRICT_POLICY, allowLoopback: true },
    tls: { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key'), pollIntervalMs: 3_600_000 },
  });
  idp.registerRedirectUri(`${latchkeyServers.issuer}/login/callback`);
  const configFile = join(dir, 'authentication.json');
  await writeFile(configFile, await authenticationConfiguration(latchkeyServers.issuer, ca.cert));
  cluster = await startControlPlane({ apiServerFlags: [`--authentication-config=${configFile}`] });
  // This process talks https to both Latchkey and the API server, each under its own test CA.
  setGlobalDispatcher(new Agent({ connect: { ca: [...rootCertificates, ca.cert, cluster.caPem] } }));

  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  await rbac.createClusterRole({
    body: {
      metadata: { name: 'namespace-reader' },
      rules: [{ apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list'] }],
    },
  });
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name: 'engineering-reads-namespaces' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'namespace-reader' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: `${PREFIX}engineering` }],
    },
  });
}, 180_000);

afterAll(async () => {
  await cluster?.stop();
  await latchkeyServers?.close();
  await state?.close();
  await idp?.close();
  await rm(dir, { recursive: true, force: true });
});

/** `latchkey login` as `accountId` through the company IdP, then the token `kubectl-credential` gives kubectl. */
async function signInForKubectl(accountId: string): Promise<string> {
  const home = await mkdtemp(join(dir, 'home-'));
  const target = ['--issuer', latchkeyServers.issuer, '--client-id', DEVICE_CLI];
  const env = { NODE_EXTRA_CA_CERTS: caFile };
  const login = latchkey(home, ['login', ...target], env);
  const [, url, code] = await login.stderrMatching(/open (\S+)\nand check that it shows the code (\S+)\./);
  await answerThroughIdp(
    latchkeyServers,
    idp,
    { url: url as string, code: code as string },
    accountId,
    'allow',
  );
  expect(await login.exited, login.stderr).toBe(0);
  const plugin = latchkey(home, ['kubectl-credential', ...target], env);
  expect(await plugin.exited, plugin.stderr).toBe(0);
  const credential = JSON.parse(plugin.stdout) as { kind: string; status: { token: string } };
  expect(credential.kind).toBe('ExecCredential');
  return credential.status.token;
}

async function asPerson(token: string, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(new URL(path, cluster.server), {
    ...init,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
  });
}

function selfSubjectReview(token: string): Promise<Response> {
  return asPerson(token, '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
    method: 'POST',
    body: JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }),
  });
}

/**
 * Waits until the API server trusts the issuer: it reads the issuer's discovery document and keys in the
 * background once it is ready, and answers 401 to every token of that issuer until it has them.
 */
async function untilIssuerTrusted(token: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await selfSubjectReview(token)).status === 401) {
    if (Date.now() > deadline) throw new Error('the API server never trusted the Latchkey issuer');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function whoami(token: string): Promise<{ username: string; groups: string[] }> {
  const res = await selfSubjectReview(token);
  expect(res.status).toBe(201);
  const review = (await res.json()) as { status: { userInfo: { username: string; groups: string[] } } };
  return review.status.userInfo;
}

describe('kubectl through Latchkey (real kube-apiserver trusting a Latchkey issuer)', () => {
  it('knows carol by her email and groups, and lets her engineering group list namespaces', async () => {
    const token = await signInForKubectl('emp-1001');
    await untilIssuerTrusted(token);
    const me = await whoami(token);
    expect(me.username).toBe(`${PREFIX}carol@corp.example`);
    expect(me.groups).toEqual(
      expect.arrayContaining([`${PREFIX}engineering`, `${PREFIX}oncall`, 'system:authenticated']),
    );
    const listed = await asPerson(token, '/api/v1/namespaces');
    expect(listed.status).toBe(200);
    const names = ((await listed.json()) as { items: { metadata: { name: string } }[] }).items.map(
      (n) => n.metadata.name,
    );
    expect(names).toContain('default');
  });

  it('denies erin, who is not in engineering, and refuses a token that is not Latchkey’s', async () => {
    const token = await signInForKubectl('emp-1003');
    expect((await whoami(token)).username).toBe(`${PREFIX}erin@elsewhere.example`);
    const listed = await asPerson(token, '/api/v1/namespaces');
    expect(listed.status).toBe(403);
    expect(((await listed.json()) as { message: string }).message).toContain(
      `User "${PREFIX}erin@elsewhere.example" cannot list resource "namespaces"`,
    );
    const forged = `${token.slice(0, token.lastIndexOf('.'))}.${'A'.repeat(86)}`;
    expect((await asPerson(forged, '/api/v1/namespaces')).status).toBe(401);
  });
});
