import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubeObject } from '../../src/kube/types.ts';
import { resourceOf } from '../../src/operator/resources.ts';
import {
  conditionOf,
  createNamespace,
  eventually,
  getObject,
  operator,
  startCluster,
  type Cluster,
  type Operator,
} from './operator-harness.ts';

describe('latchkey operator --namespaces (real kube-apiserver)', () => {
  let cluster: Cluster;
  let op: Operator;

  beforeAll(async () => {
    cluster = await startCluster();
    for (const name of ['watched', 'ignored']) {
      await createNamespace(cluster, name);
    }
    op = await operator(cluster, ['--namespaces', 'watched']);
    await op.whenReady();
  });
  afterAll(async () => {
    await op?.close();
    await cluster?.stop();
  });

  it('reconciles the namespaces it is given and leaves the others alone', async () => {
    const rs = (ns: string): KubeObject => ({
      apiVersion: 'latchkey.dev/v1alpha1',
      kind: 'ResourceServer',
      metadata: { name: 'api', namespace: ns },
      spec: { identifier: `https://${ns}` },
    });
    await cluster.api.create(resourceOf('ResourceServer'), 'ignored', rs('ignored'));
    await cluster.api.create(resourceOf('ResourceServer'), 'watched', rs('watched'));
    await eventually(
      () => getObject(cluster, 'ResourceServer', 'watched', 'api'),
      (o) => conditionOf(o)?.status === 'True',
      'watched Ready',
    );
    await new Promise((r) => setTimeout(r, 1000));
    expect((await getObject(cluster, 'ResourceServer', 'ignored', 'api'))?.['status']).toBeUndefined();
    expect(op.store.current().apis.has('https://ignored')).toBe(false);
    expect(op.store.current().apis.has('https://watched')).toBe(true);
  });
});
