import { beforeAll, describe, expect, it } from 'vitest';
import {
  HELM_BUILD_TIMEOUT_MS,
  helmBinary,
  inventory,
  lint,
  modeValues,
  one,
  render,
  renderError,
  type Manifest,
} from './helm.ts';

const SELECTOR = {
  'app.kubernetes.io/name': 'latchkey',
  'app.kubernetes.io/instance': 'latchkey',
  'app.kubernetes.io/component': 'operator',
};

interface Container {
  name: string;
  args: string[];
  env: unknown[];
  ports: unknown[];
  livenessProbe: unknown;
  readinessProbe: unknown;
  resources: unknown;
  securityContext: unknown;
  volumeMounts: unknown[];
}
interface PodSpec {
  securityContext: unknown;
  serviceAccountName: string;
  automountServiceAccountToken: boolean;
  containers: Container[];
  volumes: unknown[];
  topologySpreadConstraints: unknown[];
}
interface DeploymentSpec {
  replicas: number;
  selector: unknown;
  strategy: unknown;
  template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
}

const specOf = (o: Manifest) => o['spec'] as Record<string, unknown>;
const deploymentOf = (objects: Manifest[]) => specOf(one(objects, 'Deployment')) as unknown as DeploymentSpec;
const containerOf = (objects: Manifest[]) => deploymentOf(objects).template.spec.containers[0] as Container;

beforeAll(() => helmBinary(), HELM_BUILD_TIMEOUT_MS);

describe('helm lint --strict', () => {
  it('passes with the default values', async () => {
    const { code, output } = await lint();
    expect(output).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(code).toBe(0);
  });

  for (const [mode, file] of Object.entries(modeValues)) {
    it(`passes in the ${mode} mode`, async () => {
      const { code, output } = await lint([file]);
      expect(output).toContain('1 chart(s) linted, 0 chart(s) failed');
      expect(code).toBe(0);
    });
  }
});

describe('helm template with the default values', () => {
  let objects: Manifest[];
  beforeAll(async () => {
    objects = await render();
  });

  it('creates the operator, its Service, its account, cluster-wide RBAC and a PodDisruptionBudget', () => {
    expect(inventory(objects)).toEqual([
      'ClusterRole /latchkey-latchkey-system',
      'ClusterRoleBinding /latchkey-latchkey-system',
      'ClusterRoleBinding /latchkey-latchkey-system-issuer-discovery',
      'Deployment latchkey-system/latchkey',
      'PodDisruptionBudget latchkey-system/latchkey',
      'Role latchkey-system/latchkey',
      'RoleBinding latchkey-system/latchkey',
      'Service latchkey-system/latchkey',
      'ServiceAccount latchkey-system/latchkey',
    ]);
  });

  it('runs 2 replicas that roll without a gap and spread across nodes and zones', () => {
    const spec = deploymentOf(objects);
    expect(spec.replicas).toBe(2);
    expect(spec.selector).toEqual({ matchLabels: SELECTOR });
    expect(spec.template.metadata.labels).toEqual(SELECTOR);
    expect(spec.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
    });
    expect(spec.template.spec.topologySpreadConstraints).toEqual(
      ['kubernetes.io/hostname', 'topology.kubernetes.io/zone'].map((topologyKey) => ({
        maxSkew: 1,
        topologyKey,
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: SELECTOR },
        matchLabelKeys: ['pod-template-hash'],
      })),
    );
  });

  it('passes the issuer derived from the Service DNS name, the namespace, the pod name as identity and its uid', () => {
    expect(containerOf(objects).args).toEqual([
      'operator',
      '--issuer=http://latchkey.latchkey-system.svc:8080',
      '--namespace=latchkey-system',
      '--port=8080',
      '--ops-port=8081',
      '--identity=$(POD_NAME)',
      '--lease-name=latchkey-operator',
      '--lease-duration=15s',
      '--renew-deadline=10s',
      '--retry-period=2s',
      '--concurrency=4',
      '--signing-key-rotation=720h',
      '--signing-key-prepublish=24h',
      '--signing-key-clock-skew=5m',
      '--headers-timeout=10s',
      '--request-timeout=30s',
      '--idle-timeout=30s',
      '--keep-alive-timeout=65s',
      '--max-connections=4096',
      '--state=embedded',
      '--state-path=/var/lib/latchkey/runtime-state.sqlite',
      '--replay-per-client=250000',
      '--sign-in-failures-per-person=5',
      '--sign-in-failures-per-address=20',
      '--sign-in-failure-window=15m',
      '--device-code-failures-per-browser=5',
      '--device-code-failures-per-address=20',
      '--management-rate-limit=300',
      '--log-format=json',
      '--log-level=info',
    ]);
    expect(containerOf(objects).env).toEqual([
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'POD_UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
    ]);
  });

  it('hardens the pod and the container', () => {
    const pod = deploymentOf(objects).template.spec;
    expect(pod.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      fsGroup: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(containerOf(objects).securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.serviceAccountName).toBe('latchkey');
    expect(pod.automountServiceAccountToken).toBe(true);
    expect(one(objects, 'ServiceAccount')['automountServiceAccountToken']).toBe(false);
    // The only writable paths are emptyDirs: scratch, and the embedded runtime state; no TLS volume without TLS.
    expect(pod.volumes).toEqual([
      { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
      { name: 'state', emptyDir: { sizeLimit: '1Gi' } },
    ]);
    expect(containerOf(objects).volumeMounts).toEqual([
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'state', mountPath: '/var/lib/latchkey' },
    ]);
  });

  it('probes liveness on /healthz and readiness on /readyz of the ops port', () => {
    const c = containerOf(objects);
    expect(c.ports).toEqual([
      { name: 'http', containerPort: 8080, protocol: 'TCP' },
      { name: 'ops', containerPort: 8081, protocol: 'TCP' },
    ]);
    expect(c.livenessProbe).toEqual({
      httpGet: { path: '/healthz', port: 'ops' },
      periodSeconds: 10,
      timeoutSeconds: 2,
      failureThreshold: 3,
    });
    expect(c.readinessProbe).toEqual({
      httpGet: { path: '/readyz', port: 'ops' },
      periodSeconds: 5,
      timeoutSeconds: 2,
      failureThreshold: 3,
    });
  });

  it('requests and limits CPU and memory', () => {
    expect(containerOf(objects).resources).toEqual({
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { cpu: '1', memory: '512Mi' },
    });
  });

  it('lets at most one replica be evicted at a time, and never counts an unhealthy one', () => {
    expect(specOf(one(objects, 'PodDisruptionBudget'))).toEqual({
      maxUnavailable: 1,
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
      selector: { matchLabels: SELECTOR },
    });
  });

  it('exposes only the token port on the Service', () => {
    expect(specOf(one(objects, 'Service'))).toEqual({
      type: 'ClusterIP',
      selector: SELECTOR,
      ports: [{ name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP', appProtocol: 'http' }],
    });
  });
});

describe('helm template with state values', () => {
  const stateArgs = (c: Container) => c.args.filter((a) => /^--(state|replay)/.test(a));

  it('keeps the embedded state on an emptyDir by default, or on the claim named', async () => {
    const objects = await render({ set: { 'state.embedded.existingClaim': 'latchkey-state' } });
    expect(deploymentOf(objects).template.spec.volumes).toContainEqual({
      name: 'state',
      persistentVolumeClaim: { claimName: 'latchkey-state' },
    });
    expect(containerOf(objects).volumeMounts).toContainEqual({
      name: 'state',
      mountPath: '/var/lib/latchkey',
    });
  });

  it('reads the PostgreSQL URL from the existing Secret and mounts the CA, with no state volume', async () => {
    const objects = await render({
      set: {
        'state.backend': 'postgres',
        'state.postgres.existingSecret': 'latchkey-db',
        'state.postgres.caSecret': 'latchkey-db-ca',
      },
    });
    const c = containerOf(objects);
    expect(stateArgs(c)).toEqual([
      '--state=postgres',
      '--state-url-file=/etc/latchkey/state-url/url',
      '--replay-per-client=250000',
    ]);
    expect(c.volumeMounts).toEqual([
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'state-url', mountPath: '/etc/latchkey/state-url', readOnly: true },
      { name: 'state-ca', mountPath: '/etc/latchkey/state-ca', readOnly: true },
    ]);
    const volumes = deploymentOf(objects).template.spec.volumes;
    expect(volumes).toContainEqual({
      name: 'state-url',
      secret: { secretName: 'latchkey-db', items: [{ key: 'url', path: 'url' }], defaultMode: 0o440 },
    });
    expect(volumes).toContainEqual({
      name: 'state-ca',
      secret: {
        secretName: 'latchkey-db-ca',
        items: [{ key: 'ca.crt', path: 'ca.crt' }],
        defaultMode: 0o440,
      },
    });
    // The URL holds a password: never an argument or a plain environment value.
    expect(JSON.stringify(c)).not.toMatch(/postgres:\/\//);
  });

  it('passes the replay capacity only with state.backend=memory, where it applies', async () => {
    const c = containerOf(await render({ set: { 'state.backend': 'memory' } }));
    expect(stateArgs(c)).toEqual([
      '--state=memory',
      '--replay-capacity=1000000',
      '--replay-per-client=250000',
    ]);
  });

  it('refuses state.backend=postgres without a Secret', async () => {
    expect(await renderError({ set: { 'state.backend': 'postgres' } })).toMatch(/existingSecret/);
  });
});

describe('helm template with operator tuning values', () => {
  it('passes concurrency to the operator as --concurrency', async () => {
    const objects = await render({ set: { concurrency: 16 } });
    expect(containerOf(objects).args.filter((a) => a.startsWith('--concurrency'))).toEqual([
      '--concurrency=16',
    ]);
  });
});

describe('helm template with logLevel', () => {
  it('passes --log-level to the operator', async () => {
    const objects = await render({ set: { logLevel: 'debug', logFormat: 'text' } });
    expect(containerOf(objects).args.filter((a) => a.startsWith('--log-'))).toEqual([
      '--log-format=text',
      '--log-level=debug',
    ]);
  });
});

describe('helm template with issuer address values', () => {
  it("passes the operator's allow and deny lists, and nothing when they are empty", async () => {
    const objects = await render({
      set: {
        'issuers.allowHosts': ['dex.dex.svc.cluster.local', '10.96.0.0/12'],
        'issuers.denyNetworks': ['10.0.0.0/8'],
      },
    });
    expect(containerOf(objects).args).toContain(
      '--allow-issuer-hosts=dex.dex.svc.cluster.local,10.96.0.0/12',
    );
    expect(containerOf(objects).args).toContain('--deny-issuer-networks=10.0.0.0/8');
  });
});

describe('helm template in the namespaced mode', () => {
  it('passes the watched namespaces to the operator', async () => {
    const objects = await render({ values: [modeValues.namespaced] });
    expect(containerOf(objects).args).toContain('--namespaces=payments,billing');
    expect(inventory(objects)).toEqual([
      'ClusterRole /latchkey-latchkey-system',
      'ClusterRoleBinding /latchkey-latchkey-system',
      'ClusterRoleBinding /latchkey-latchkey-system-issuer-discovery',
      'Deployment latchkey-system/latchkey',
      'PodDisruptionBudget latchkey-system/latchkey',
      'Role billing/latchkey-latchkey-system',
      'Role latchkey-system/latchkey',
      'Role payments/latchkey-latchkey-system',
      'RoleBinding billing/latchkey-latchkey-system',
      'RoleBinding latchkey-system/latchkey',
      'RoleBinding payments/latchkey-latchkey-system',
      'Service latchkey-system/latchkey',
      'ServiceAccount latchkey-system/latchkey',
    ]);
  });
});

describe('helm template with tls.mode=secret', () => {
  let objects: Manifest[];
  beforeAll(async () => {
    objects = await render({ values: [modeValues.tlsSecret] });
  });

  it('mounts the given Secret read-only and passes its files, with an https issuer', () => {
    const c = containerOf(objects);
    expect(c.args).toContain('--issuer=https://latchkey.latchkey-system.svc:8080');
    expect(c.args.slice(-2)).toEqual([
      '--tls-cert=/etc/latchkey/tls/tls.crt',
      '--tls-key=/etc/latchkey/tls/tls.key',
    ]);
    expect(c.volumeMounts).toEqual([
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'state', mountPath: '/var/lib/latchkey' },
      { name: 'tls', mountPath: '/etc/latchkey/tls', readOnly: true },
    ]);
    expect(deploymentOf(objects).template.spec.volumes).toEqual([
      { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
      { name: 'state', emptyDir: { sizeLimit: '1Gi' } },
      // 0440 (octal) is 288: readable by the owner and the pod's fsGroup only.
      { name: 'tls', secret: { secretName: 'latchkey-serving-tls', defaultMode: 0o440 } },
    ]);
    expect(c.ports).toEqual([
      { name: 'https', containerPort: 8080, protocol: 'TCP' },
      { name: 'ops', containerPort: 8081, protocol: 'TCP' },
    ]);
  });

  it('names the Service port https', () => {
    expect(specOf(one(objects, 'Service'))['ports']).toEqual([
      { name: 'https', port: 8080, targetPort: 'https', protocol: 'TCP', appProtocol: 'https' },
    ]);
  });

  it('creates no Certificate', () => {
    expect(objects.filter((o) => o.kind === 'Certificate')).toEqual([]);
  });

  it('leaves out the default port of the scheme from the derived issuer', async () => {
    const on443 = await render({ values: [modeValues.tlsSecret], set: { 'service.port': 443 } });
    expect(containerOf(on443).args[1]).toBe('--issuer=https://latchkey.latchkey-system.svc');
  });
});

describe('helm template with tls.mode=certManager', () => {
  let objects: Manifest[];
  beforeAll(async () => {
    objects = await render({ values: [modeValues.tlsCertManager] });
  });

  it('asks cert-manager for a certificate for every DNS name of the Service', () => {
    const certificate = one(objects, 'Certificate');
    expect(certificate.apiVersion).toBe('cert-manager.io/v1');
    expect(specOf(certificate)).toEqual({
      secretName: 'latchkey-tls',
      dnsNames: [
        'latchkey',
        'latchkey.latchkey-system',
        'latchkey.latchkey-system.svc',
        'latchkey.latchkey-system.svc.cluster.local',
      ],
      duration: '2160h',
      renewBefore: '360h',
      privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
      usages: ['server auth', 'digital signature'],
      issuerRef: { name: 'cluster-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' },
    });
  });

  it('mounts the Secret cert-manager writes and serves https', () => {
    const c = containerOf(objects);
    expect(c.args).toContain('--issuer=https://latchkey.latchkey-system.svc:8080');
    expect(c.args).toContain('--tls-cert=/etc/latchkey/tls/tls.crt');
    expect(c.args).toContain('--tls-key=/etc/latchkey/tls/tls.key');
    expect(deploymentOf(objects).template.spec.volumes).toContainEqual({
      name: 'tls',
      secret: { secretName: 'latchkey-tls', defaultMode: 0o440 },
    });
  });
});

describe('helm template with an Ingress', () => {
  it('routes the host to the token port and uses the external issuer', async () => {
    const objects = await render({ values: [modeValues.ingress] });
    expect(containerOf(objects).args[1]).toBe('--issuer=https://auth.example.com');
    expect(specOf(one(objects, 'Ingress'))).toEqual({
      ingressClassName: 'nginx',
      tls: [{ secretName: 'auth-example-com-tls', hosts: ['auth.example.com'] }],
      rules: [
        {
          host: 'auth.example.com',
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: 'latchkey', port: { name: 'http' } } },
              },
            ],
          },
        },
      ],
    });
  });
});

describe('helm template with a NetworkPolicy', () => {
  it('admits the given peers to the token and ops ports and limits egress', async () => {
    const objects = await render({ values: [modeValues.networkPolicy] });
    expect(specOf(one(objects, 'NetworkPolicy'))).toEqual({
      podSelector: { matchLabels: SELECTOR },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        {
          ports: [{ port: 8080, protocol: 'TCP' }],
          from: [{ namespaceSelector: { matchLabels: { 'latchkey.dev/clients': 'true' } } }],
        },
        {
          ports: [{ port: 8081, protocol: 'TCP' }],
          from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
        },
      ],
      egress: [
        {
          ports: [
            { port: 53, protocol: 'UDP' },
            { port: 53, protocol: 'TCP' },
          ],
        },
        {
          ports: [
            { port: 443, protocol: 'TCP' },
            { port: 6443, protocol: 'TCP' },
          ],
          to: [{ ipBlock: { cidr: '10.0.0.1/32' } }],
        },
        { ports: [{ port: 443, protocol: 'TCP' }] },
      ],
    });
  });

  it('admits everyone to the token port and restricts nothing else by default', async () => {
    const objects = await render({ set: { 'networkPolicy.enabled': true } });
    expect(specOf(one(objects, 'NetworkPolicy'))).toEqual({
      podSelector: { matchLabels: SELECTOR },
      policyTypes: ['Ingress'],
      ingress: [{ ports: [{ port: 8080, protocol: 'TCP' }] }],
    });
  });
});

describe('helm template with a ServiceMonitor', () => {
  it('scrapes /metrics on the ops port through a Service of its own', async () => {
    const objects = await render({ values: [modeValues.serviceMonitor] });
    const monitor = one(objects, 'ServiceMonitor');
    expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(monitor.metadata.labels?.['release']).toBe('prometheus');
    expect(specOf(monitor)).toEqual({
      selector: { matchLabels: { ...SELECTOR, 'latchkey.dev/service': 'metrics' } },
      namespaceSelector: { matchNames: ['latchkey-system'] },
      endpoints: [{ port: 'ops', path: '/metrics', scheme: 'http', interval: '30s', scrapeTimeout: '10s' }],
    });
    expect(specOf(one(objects, 'Service', 'latchkey-metrics'))).toEqual({
      type: 'ClusterIP',
      selector: SELECTOR,
      ports: [{ name: 'ops', port: 8081, targetPort: 'ops', protocol: 'TCP', appProtocol: 'http' }],
    });
    // The token Service still carries the token port alone.
    expect(specOf(one(objects, 'Service', 'latchkey'))['ports']).toEqual([
      { name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP', appProtocol: 'http' },
    ]);
  });
});
