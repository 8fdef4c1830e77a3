import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError } from '../../src/config-error.ts';
import { loadKubeConfig, tokenFileReader } from '../../src/kube/config.ts';

const CA = '-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n';
const CERT = '-----BEGIN CERTIFICATE-----\nclient\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n';
const b64 = (s: string) => Buffer.from(s).toString('base64');
const run = promisify(execFile);
const CONFIG_MODULE = new URL('../../src/kube/config.ts', import.meta.url).href;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'latchkey-kubeconfig-'));
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await rm(dir, { recursive: true, force: true });
});

async function kubeconfig(user: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const path = join(dir, 'config');
  await writeFile(
    path,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'main',
      clusters: [
        {
          name: 'c',
          cluster: { server: 'https://127.0.0.1:6443/', 'certificate-authority-data': b64(CA), ...extra },
        },
        { name: 'other', cluster: { server: 'https://other.example:443/prefix/' } },
      ],
      users: [{ name: 'u', user }],
      contexts: [
        { name: 'main', context: { cluster: 'c', user: 'u', namespace: 'billing' } },
        { name: 'second', context: { cluster: 'other', user: 'u' } },
      ],
    }),
  );
  return path;
}

describe('loadKubeConfig from a kubeconfig file', () => {
  it('takes the server, CA, client certificate and namespace of the current context', async () => {
    const path = await kubeconfig({ 'client-certificate-data': b64(CERT), 'client-key-data': b64(KEY) });
    const c = loadKubeConfig({ kubeconfig: path });
    expect(c.server.href).toBe('https://127.0.0.1:6443/');
    expect(c.ca).toBe(CA);
    expect(c.cert).toBe(CERT);
    expect(c.key).toBe(KEY);
    expect(c.namespace).toBe('billing');
    expect(c.insecureSkipTlsVerify).toBe(false);
    expect(await c.authorization()).toBeUndefined();
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reads certificate files relative to the kubeconfig', async () => {
    await writeFile(join(dir, 'client.crt'), CERT);
    await writeFile(join(dir, 'client.key'), KEY);
    const path = await kubeconfig({ 'client-certificate': 'client.crt', 'client-key': 'client.key' });
    const c = loadKubeConfig({ kubeconfig: path });
    expect(c.cert).toBe(CERT);
    expect(c.key).toBe(KEY);
  });

  it('uses another context when asked', async () => {
    const path = await kubeconfig({ token: 't' });
    const c = loadKubeConfig({ kubeconfig: path, context: 'second' });
    expect(c.server.href).toBe('https://other.example/prefix');
    expect(c.namespace).toBeUndefined();
    expect(c.ca).toBeUndefined();
  });

  it('sends a static bearer token', async () => {
    const c = loadKubeConfig({ kubeconfig: await kubeconfig({ token: 'static-token\n' }) });
    expect(await c.authorization()).toBe('Bearer static-token');
  });

  it('runs an exec credential plugin for the token', async () => {
    const credential = JSON.stringify({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status: { token: 'exec-token' },
    });
    const path = await kubeconfig({
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1',
        command: process.execPath,
        args: ['-e', `process.stdout.write(${JSON.stringify(credential)})`],
        interactiveMode: 'Never',
      },
    });
    expect(await loadKubeConfig({ kubeconfig: path }).authorization()).toBe('Bearer exec-token');
  });

  it('passes impersonation as a header and honours insecure-skip-tls-verify', async () => {
    const path = await kubeconfig(
      { token: 't', as: 'system:serviceaccount:a:b' },
      { 'insecure-skip-tls-verify': true },
    );
    const c = loadKubeConfig({ kubeconfig: path });
    expect(c.headers).toEqual({ 'Impersonate-User': 'system:serviceaccount:a:b' });
    expect(c.insecureSkipTlsVerify).toBe(true);
  });

  it.each<[string, Record<string, unknown>, Record<string, unknown>, RegExp]>([
    ['a missing file', {}, {}, /ENOENT/],
    [
      'basic authentication',
      { username: 'admin', password: 'pw' },
      {},
      /username\/password is not supported/,
    ],
    ['a proxy', { token: 't' }, { 'proxy-url': 'http://proxy:3128' }, /proxy-url is not supported/],
    ['a certificate without its key', { 'client-certificate-data': b64(CERT) }, {}, /needs its key/],
    [
      'an unreadable CA file',
      { token: 't' },
      { 'certificate-authority': '/nonexistent/ca.crt' },
      /cannot read/,
    ],
  ])('refuses %s with a ConfigError on `kubeconfig`', async (what, user, cluster, message) => {
    const path = what === 'a missing file' ? join(dir, 'absent') : await kubeconfig(user, cluster);
    let error: unknown;
    try {
      loadKubeConfig({ kubeconfig: path });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe('kubeconfig');
    expect((error as ConfigError).message).toMatch(message);
  });

  it('refuses an unknown context', async () => {
    const path = await kubeconfig({ token: 't' });
    expect(() => loadKubeConfig({ kubeconfig: path, context: 'nope' })).toThrow(ConfigError);
  });

  it('does not change the options it is given', async () => {
    const options = Object.freeze({ kubeconfig: await kubeconfig({ token: 't' }) });
    expect(() => loadKubeConfig(options)).not.toThrow();
  });
});

describe('loadKubeConfig in a pod', () => {
  async function podFiles(token: string) {
    const sa = join(dir, 'var/run/secrets/kubernetes.io/serviceaccount');
    await mkdir(sa, { recursive: true });
    await writeFile(join(sa, 'ca.crt'), CA);
    await writeFile(join(sa, 'token'), token);
    await writeFile(join(sa, 'namespace'), 'latchkey-system');
    return join(sa, 'token');
  }

  it('uses the ServiceAccount files and the service environment', async () => {
    await podFiles('first-token');
    vi.stubEnv('KUBERNETES_SERVICE_HOST', 'fd00::1');
    vi.stubEnv('KUBERNETES_SERVICE_PORT', '443');
    const c = loadKubeConfig({ inClusterRoot: dir });
    expect(c.server.href).toBe('https://[fd00::1]/');
    expect(c.ca).toBe(CA);
    expect(c.namespace).toBe('latchkey-system');
    expect(await c.authorization()).toBe('Bearer first-token');
  });

  it('re-reads the rotating token once the refresh interval has passed', async () => {
    const tokenPath = await podFiles('first-token');
    vi.stubEnv('KUBERNETES_SERVICE_HOST', '10.0.0.1');
    vi.stubEnv('KUBERNETES_SERVICE_PORT', '443');
    let now = 1_000_000;
    const c = loadKubeConfig({ inClusterRoot: dir, now: () => now });
    expect(await c.authorization()).toBe('Bearer first-token');
    await writeFile(tokenPath, 'second-token\n');
    now += 59_000;
    expect(await c.authorization()).toBe('Bearer first-token');
    now += 1_000;
    expect(await c.authorization()).toBe('Bearer second-token');
  });

  it('says how to fix it when not in a pod', () => {
    vi.stubEnv('KUBERNETES_SERVICE_HOST', '');
    expect(() => loadKubeConfig({})).toThrow(/not running in a pod.*pass a kubeconfig/);
  });

  it('leaves the namespace unset when the namespace file is absent', async () => {
    const tokenPath = await podFiles('t');
    await rm(join(tokenPath, '../namespace'));
    vi.stubEnv('KUBERNETES_SERVICE_HOST', '10.0.0.1');
    vi.stubEnv('KUBERNETES_SERVICE_PORT', '6443');
    const c = loadKubeConfig({ inClusterRoot: dir });
    expect(c.namespace).toBeUndefined();
    expect(c.server.href).toBe('https://10.0.0.1:6443/');
    expect(c.headers).toEqual({});
    expect(c.insecureSkipTlsVerify).toBe(false);
  });

  it('refuses a pod without its CA file with a ConfigError naming the file', async () => {
    const tokenPath = await podFiles('t');
    await rm(join(tokenPath, '../ca.crt'));
    vi.stubEnv('KUBERNETES_SERVICE_HOST', '10.0.0.1');
    vi.stubEnv('KUBERNETES_SERVICE_PORT', '443');
    expect(() => loadKubeConfig({ inClusterRoot: dir })).toThrow(
      /^kubeconfig: cluster inCluster certificate-authority: cannot read .*serviceaccount\/ca\.crt: ENOENT/,
    );
  });

  it('fails on the first request, not at load, when the token file is missing', async () => {
    const tokenPath = await podFiles('t');
    await rm(tokenPath);
    vi.stubEnv('KUBERNETES_SERVICE_HOST', '10.0.0.1');
    vi.stubEnv('KUBERNETES_SERVICE_PORT', '443');
    const c = loadKubeConfig({ inClusterRoot: dir });
    await expect(c.authorization()).rejects.toThrow(
      /^kubeconfig: token file .*serviceaccount\/token: ENOENT/,
    );
  });

  it.each([
    ['80', 'http://10.0.0.1/'],
    ['8001', 'http://10.0.0.1:8001/'],
    ['443', 'https://10.0.0.1/'],
  ])('takes port %s to mean %s, as client-node did', async (port, href) => {
    await podFiles('t');
    vi.stubEnv('KUBERNETES_SERVICE_HOST', '10.0.0.1');
    vi.stubEnv('KUBERNETES_SERVICE_PORT', port);
    expect(loadKubeConfig({ inClusterRoot: dir }).server.href).toBe(href);
  });

  it('refuses a context other than the in-cluster one', async () => {
    await podFiles('t');
    vi.stubEnv('KUBERNETES_SERVICE_HOST', '10.0.0.1');
    vi.stubEnv('KUBERNETES_SERVICE_PORT', '443');
    expect(() => loadKubeConfig({ inClusterRoot: dir, context: 'main' })).toThrow(
      'context "main" has no cluster',
    );
    expect(loadKubeConfig({ inClusterRoot: dir, context: 'inClusterContext' }).server.href).toBe(
      'https://10.0.0.1/',
    );
  });

  it('refuses a KUBERNETES_SERVICE_HOST that makes no URL', async () => {
    await podFiles('t');
    vi.stubEnv('KUBERNETES_SERVICE_HOST', 'kube api');
    vi.stubEnv('KUBERNETES_SERVICE_PORT', '443');
    expect(() => loadKubeConfig({ inClusterRoot: dir })).toThrow(
      'kubeconfig: cluster "inCluster": server is not a URL',
    );
  });

  it('does not load @kubernetes/client-node', async () => {
    await podFiles('t');
    const script = `
      import { registerHooks } from 'node:module';
      const loaded = [];
      registerHooks({ resolve: (s, c, next) => { loaded.push(s); return next(s, c); } });
      const { loadKubeConfig } = await import(${JSON.stringify(CONFIG_MODULE)});
      await loadKubeConfig({ inClusterRoot: ${JSON.stringify(dir)} }).authorization();
      process.stdout.write(JSON.stringify(loaded));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' },
    });
    const loaded = JSON.parse(stdout) as string[];
    expect(loaded).toContain(CONFIG_MODULE);
    expect(loaded.filter((s) => s.startsWith('@kubernetes/'))).toEqual([]);
  });
});

describe('tokenFileReader', () => {
  it('keeps the last token when a re-read fails, and fails when the first read does', async () => {
    const path = join(dir, 'token');
    await writeFile(path, 'kept');
    let now = 0;
    const read = tokenFileReader(path, () => now, 10);
    expect(await read()).toBe('Bearer kept');
    await rm(path);
    now = 100;
    expect(await read()).toBe('Bearer kept');
    await expect(tokenFileReader(path, () => now)()).rejects.toThrow(ConfigError);
  });

  it('refuses an empty token file', async () => {
    const path = join(dir, 'token');
    await writeFile(path, '\n');
    await expect(tokenFileReader(path, () => 0)()).rejects.toThrow(/empty/);
  });

  it('reads once for concurrent callers', async () => {
    const path = join(dir, 'token');
    await writeFile(path, 'once');
    const read = tokenFileReader(path, () => 0);
    expect(await Promise.all([read(), read(), read()])).toEqual([
      'Bearer once',
      'Bearer once',
      'Bearer once',
    ]);
  });
});
