/**
 * Each scenario folder of examples/ on its own, as its README tells people to use it: applied to a real
 * kube-apiserver with the operator running, every object Ready, and a token got with the credentials from the
 * Secret that verifies against the JWKS with the claims the README promises.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KindName } from '../../src/api/kinds.ts';
import { CORE_SECRETS, type KubeObject } from '../../src/kube/types.ts';
import { organizationId } from '../../src/store/names.ts';
import { repoRoot } from './envtest.ts';
import { CLUSTER_REFUSALS } from '../examples/dev-only.ts';
import {
  conditionOf,
  createCorpSsoSecret,
  declaredIn,
  eventually,
  examplesWithIssuer,
  getObject,
  kubectlApply,
  listAll,
  operator,
  requestToken,
  secretData,
  startCluster,
  startUpstreamIssuer,
  tokenFromSecret,
  type Cluster,
  type Operator,
  type UpstreamIssuer,
} from './operator-harness.ts';

const SCENARIOS = [
  'external-secret',
  'multi-tenant',
  'oidc-connection',
  'people-sign-in',
  'secretless-workload',
  'two-services',
];
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

describe('examples/ scenarios on a real kube-apiserver, one folder at a time', () => {
  let cluster: Cluster;
  let op: Operator;
  let upstream: UpstreamIssuer;
  let examples: { dir: string; cleanup(): Promise<void> };

  beforeAll(async () => {
    cluster = await startCluster();
    // The oidc Connection's issuer: Latchkey's own dev mode serves a real discovery document and JWKS.
    upstream = await startUpstreamIssuer();
    examples = await examplesWithIssuer(upstream.issuer);
    op = await operator(cluster);
    await op.whenReady();
  });

  afterAll(async () => {
    await op?.close();
    await upstream?.close();
    await examples?.cleanup();
    await cluster?.stop();
  });

  const folder = (name: string) => join(examples.dir, name);

  /** Waits until every Latchkey object of a folder is Ready, and returns them. */
  async function expectAllReady(dir: string): Promise<[KindName, string, string][]> {
    const declared = await declaredIn(dir);
    expect(declared.length).toBeGreaterThan(0);
    for (const [kind, namespace, name] of declared) {
      const o = await eventually(
        () => getObject(cluster, kind, namespace, name),
        (x) => conditionOf(x)?.status === 'True',
        `${kind} ${namespace}/${name} Ready`,
      );
      expect(conditionOf(o), `${kind} ${namespace}/${name}`).toMatchObject({
        status: 'True',
        reason: 'Reconciled',
        observedGeneration: 1,
      });
    }
    return declared;
  }

  async function generatedSecret(namespace: string, name: string): Promise<Record<string, string>> {
    const data = await eventually(
      () => secretData(cluster, namespace, name),
      (d) => d !== undefined,
      `Secret ${namespace}/${name}`,
    );
    return data as Record<string, string>;
  }

  async function organizationIdOf(namespace: string, name: string): Promise<string> {
    const o = await getObject(cluster, 'Organization', namespace, name);
    return (o?.['status'] as { organizationId: string }).organizationId;
  }

  it('covers every scenario folder of examples/', async () => {
    const entries = await readdir(join(repoRoot, 'examples'), { withFileTypes: true });
    expect(
      entries
        .filter((e) => e.isDirectory())
        .map((e) => e.name)
        .sort(),
    ).toEqual(SCENARIOS);
  });

  describe('two-services: orders and payments call each other through Roles the other team owns', () => {
    it('makes every object Ready', { timeout: 60_000 }, async () => {
      await kubectlApply(cluster, folder('two-services'));
      await expectAllReady(folder('two-services'));
    });

    it('gives the orders service a token for the payments API, with the payments team’s role, without audience', async () => {
      const secret = await generatedSecret('orders', 'orders-service-oauth');
      const { answer, claims } = await tokenFromSecret(secret);
      expect(answer.status).toBe(200);
      expect(decodeProtectedHeader(answer.body['access_token'] as string).alg).toBe('ES256');
      expect(claims).toMatchObject({
        iss: op.issuer,
        aud: 'https://payments.internal',
        client_id: 'orders-service.orders',
        scope: 'payments:read payments:charge',
      });
      expect(claims).not.toHaveProperty('org_id');
    });

    it('gives the payments service a token for the orders API, with the orders team’s role', async () => {
      const secret = await generatedSecret('payments', 'payments-service-oauth');
      const { answer, claims } = await tokenFromSecret(secret);
      expect(answer.status).toBe(200);
      expect(claims).toMatchObject({
        aud: 'https://orders.internal',
        client_id: 'payments-service.payments',
        scope: 'orders:read',
      });
    });

    it('refuses the orders service a token for its own API, which it was not granted', async () => {
      const secret = await generatedSecret('orders', 'orders-service-oauth');
      const { answer } = await tokenFromSecret(secret, { audience: 'https://orders.internal' });
      expect(answer).toEqual({
        status: 400,
        body: {
          error: 'invalid_target',
          error_description: "audience 'https://orders.internal' is unknown or not granted to this client",
        },
      });
    });
  });

  describe('multi-tenant: one API for every tenant, tokens always for one Organization', () => {
    it('makes every object Ready', { timeout: 60_000 }, async () => {
      await kubectlApply(cluster, folder('multi-tenant'));
      await expectAllReady(folder('multi-tenant'));
    });

    it('gives Acme’s token org_id, org_name and Acme’s extra export role', async () => {
      const secret = await generatedSecret('invoicing', 'invoice-sync-oauth');
      const { answer, claims } = await tokenFromSecret(secret, { organization: 'acme' });
      expect(answer.status).toBe(200);
      const acme = await organizationIdOf('tenants', 'acme');
      expect(acme).toBe(organizationId('tenants', 'acme'));
      expect(claims).toMatchObject({
        aud: 'https://invoices.internal',
        client_id: 'invoice-sync.invoicing',
        scope: 'invoices:read invoices:export',
        org_id: acme,
        org_name: 'acme',
      });
    });

    it('gives Globex’s token only the base plan, also when asked for by org_id', async () => {
      const secret = await generatedSecret('invoicing', 'invoice-sync-oauth');
      const globex = await organizationIdOf('tenants', 'globex');
      const { answer, claims } = await tokenFromSecret(secret, { organization: globex });
      expect(answer.status).toBe(200);
      expect(claims).toMatchObject({ scope: 'invoices:read', org_id: globex, org_name: 'globex' });
      const more = await tokenFromSecret(secret, { organization: globex, scope: 'invoices:export' });
      expect(more.answer).toEqual({
        status: 400,
        body: {
          error: 'invalid_scope',
          error_description: "scope not granted for this API: 'invoices:export'",
        },
      });
    });

    it('refuses a token for no tenant (organizationUsage: require)', async () => {
      const secret = await generatedSecret('invoicing', 'invoice-sync-oauth');
      const { answer } = await tokenFromSecret(secret);
      expect(answer).toEqual({
        status: 400,
        body: {
          error: 'invalid_request',
          error_description: 'organization is required: this client gets tokens only for an organization',
        },
      });
    });
  });

  describe('external-secret: the client secret comes from a Secret someone else writes', () => {
    const files = ['00-namespaces.yaml', 'events-api.yaml', 'event-collector.yaml', 'external-secret.yaml'];

    it(
      'waits for the Secret, generates none, and is Ready once it is written',
      { timeout: 60_000 },
      async () => {
        // Everything but the stand-in for what the External Secrets Operator would write.
        expect((await readdir(folder('external-secret'))).filter((f) => f.endsWith('.yaml')).sort()).toEqual(
          [...files, 'dev-secret.yaml'].sort(),
        );
        await kubectlApply(cluster, ...files.map((f) => join(folder('external-secret'), f)));
        const waiting = await eventually(
          () => getObject(cluster, 'OAuthClient', 'analytics', 'event-collector'),
          (x) => conditionOf(x, 'SecretReady')?.status === 'False',
          'OAuthClient analytics/event-collector waiting for its Secret',
        );
        expect(conditionOf(waiting, 'SecretReady')).toMatchObject({
          reason: 'SecretMissing',
          message:
            'waiting for Secret analytics/event-collector-credentials to be written (spec.secret.source is Existing)',
        });
        expect(conditionOf(waiting)).toMatchObject({ status: 'False', reason: 'SecretMissing' });
        expect(await secretData(cluster, 'analytics', 'event-collector-credentials')).toBeUndefined();

        // The README's command: the whole folder, including dev-secret.yaml.
        await kubectlApply(cluster, folder('external-secret'));
        await expectAllReady(folder('external-secret'));
        const secret = await secretData(cluster, 'analytics', 'event-collector-credentials');
        // Nothing of Latchkey's was added to a Secret it does not own.
        expect(Object.keys(secret ?? {}).sort()).toEqual(['client_id', 'client_secret']);
      },
    );

    it('gives a token with the credentials from that Secret', async () => {
      const secret = (await secretData(cluster, 'analytics', 'event-collector-credentials')) as Record<
        string,
        string
      >;
      const { answer, claims } = await tokenFromSecret({
        ...secret,
        issuer: op.issuer,
        token_endpoint: op.tokenEndpoint,
      });
      expect(answer.status).toBe(200);
      expect(decodeProtectedHeader(answer.body['access_token'] as string).alg).toBe('EdDSA');
      expect(answer.body['expires_in']).toBe(900);
      expect(claims).toMatchObject({
        aud: 'https://events.analytics.internal',
        client_id: 'event-collector.analytics',
        scope: 'events:write',
      });
    });
  });

  describe('oidc-connection: an OpenID Connect provider the operator verifies, enabled for an Organization', () => {
    it(
      'makes every object Ready, the Connection once its issuer is verified and its Secret written',
      { timeout: 60_000 },
      async () => {
        await kubectlApply(cluster, folder('oidc-connection'));
        // Its README's kubectl create secret: Latchkey's client secret at the provider, not in Git.
        await createCorpSsoSecret(cluster);
        await expectAllReady(folder('oidc-connection'));
        const connection = await getObject(cluster, 'Connection', 'backoffice', 'corp-sso');
        expect(conditionOf(connection, 'IssuerVerified')).toMatchObject({
          status: 'True',
          reason: 'IssuerVerified',
        });
        expect(connection?.['status']).toMatchObject({
          issuer: upstream.issuer,
          jwksUri: `${upstream.issuer}/.well-known/jwks.json`,
        });
      },
    );

    it('gives the reporter its own token, and one for the staff organization when it asks', async () => {
      const secret = await generatedSecret('backoffice', 'audit-reporter-oauth');
      const own = await tokenFromSecret(secret);
      expect(own.answer.status).toBe(200);
      expect(own.claims).toMatchObject({
        aud: 'https://admin.backoffice.internal',
        client_id: 'audit-reporter.backoffice',
        scope: 'admin:read',
      });
      expect(own.claims).not.toHaveProperty('org_id');

      const staff = await tokenFromSecret(secret, { organization: 'staff' });
      expect(staff.answer.status).toBe(200);
      expect(staff.claims).toMatchObject({
        scope: 'admin:read',
        org_id: await organizationIdOf('backoffice', 'staff'),
        org_name: 'staff',
      });
    });
  });
  describe('people-sign-in: for latchkey dev only, so a cluster refuses its test Connection', () => {
    it(
      'refuses the test Connection, says so on the client that offers it, and serves the API',
      { timeout: 60_000 },
      async () => {
        await kubectlApply(cluster, folder('people-sign-in'));
        const reasonOf = (kind: KindName, name: string, reason: string) =>
          eventually(
            () => getObject(cluster, kind, 'notes', name),
            (o) => conditionOf(o)?.reason === reason,
            `${kind} notes/${name} ${reason}`,
          );
        for (const [key, reason] of Object.entries(CLUSTER_REFUSALS)) {
          const [kind = '', , name = ''] = key.split('/');
          expect(conditionOf(await reasonOf(kind as KindName, name, reason))).toMatchObject({
            status: 'False',
            observedGeneration: 1,
          });
        }
        // Until the client's Secret is generated, the message also says so; wait for the Connection's part alone.
        const refusal =
          'spec.connections[0]: Connection notes/test-people is of type test, which only latchkey dev lets people sign in through';
        const client = await eventually(
          () => getObject(cluster, 'OAuthClient', 'notes', 'notes-web'),
          (o) => conditionOf(o)?.message === refusal,
          'OAuthClient notes/notes-web refusing the test Connection, its Secret generated',
        );
        expect(conditionOf(client)).toMatchObject({ reason: 'ConnectionCannotSignIn', message: refusal });
        await reasonOf('ResourceServer', 'notes-api', 'Reconciled');
        expect(op.store.current().connections.get('notes/test-people')).not.toHaveProperty('signIn');
      },
    );
  });

  describe('secretless-workload: a ServiceAccount token is the only credential', () => {
    /** What kubelet writes into the pod's projected volume: a token for the ServiceAccount, for Latchkey. */
    async function serviceAccountToken(name: string, audience: string): Promise<string> {
      const kc = new KubeConfig();
      kc.loadFromFile(cluster.cp.kubeconfigPath);
      const answer = await kc.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
        name,
        namespace: 'warehouse',
        body: { spec: { audiences: [audience], expirationSeconds: 3600 } },
      });
      if (answer.status?.token === undefined) throw new Error('TokenRequest returned no token');
      return answer.status.token;
    }
    const asPicker = (assertion: string) =>
      requestToken(op.tokenEndpoint, {
        grant_type: 'client_credentials',
        client_id: 'picker.warehouse',
        client_assertion_type: JWT_BEARER,
        client_assertion: assertion,
      });

    it(
      'makes every object Ready, the Connection with the cluster’s own issuer, and writes no Secret',
      { timeout: 60_000 },
      async () => {
        await kubectlApply(cluster, folder('secretless-workload'));
        await expectAllReady(folder('secretless-workload'));
        const connection = await getObject(cluster, 'Connection', 'warehouse', 'cluster');
        expect(connection?.['status']).toMatchObject({ issuer: cluster.cp.serviceAccountIssuer });
        // The workload half of the folder went to the API server too, untouched by Latchkey.
        const deployments = { group: 'apps', version: 'v1', plural: 'deployments', namespaced: true };
        expect(await cluster.api.get<KubeObject>(deployments, 'warehouse', 'picker')).toBeDefined();
        expect(await listAll(cluster, CORE_SECRETS, 'warehouse')).toEqual([]);
        const picker = await getObject(cluster, 'OAuthClient', 'warehouse', 'picker');
        expect(conditionOf(picker, 'SecretReady')).toBeUndefined();
        expect(picker?.['status']).not.toHaveProperty('secretName');
      },
    );

    it('gives the picker a token for the stock API for its mounted ServiceAccount token', async () => {
      const answer = await eventually(
        async () => asPicker(await serviceAccountToken('picker', op.issuer)),
        (a) => a.status === 200,
        'token for the picker',
      );
      const { payload } = await jwtVerify(
        answer.body['access_token'] as string,
        createRemoteJWKSet(new URL(`${op.issuer}/.well-known/jwks.json`)),
        { issuer: op.issuer, audience: 'https://stock.warehouse.internal', typ: 'at+jwt' },
      );
      expect(payload).toMatchObject({ client_id: 'picker.warehouse', scope: 'stock:read stock:reserve' });
    });

    it('refuses the API server’s own token for the same ServiceAccount', async () => {
      const answer = await asPicker(await serviceAccountToken('picker', 'https://kubernetes.default.svc'));
      expect(answer.status).toBe(401);
      expect(answer.body['error']).toBe('invalid_client');
    });
  });
});
