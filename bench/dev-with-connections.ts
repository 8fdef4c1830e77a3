/**
 * `latchkey dev` (the same argument parser and `startDev`) plus the one step dev mode does not take: checking
 * each Connection's issuer (discovery and JWK Set) as the operator does, then compiling the folder again with
 * what was found, so a client with federated identities gets tokens without a cluster. Only the federation
 * rounds use it; the other rounds measure `latchkey dev` itself. Started by token-bench.ts with `--issuer`
 * set to that `latchkey dev`'s issuer, so both issue the same `iss`.
 */

import './child-guard.ts';
import { parseDevArgs } from '../src/dev/config.ts';
import { ManifestFolder } from '../src/dev/manifest-folder.ts';
import { reportEvents } from '../src/dev/reporter.ts';
import { startDev } from '../src/dev/run.ts';
import { EventBus } from '../src/events.ts';
import { checkConnection } from '../src/operator/issuer-check.ts';
import { secretKey, type ConnectionCheck } from '../src/store/objects.ts';
import { DEV_WITH_CONNECTIONS_READY } from './protocol.ts';

const config = parseDevArgs(process.argv.slice(2), process.cwd());
const events = new EventBus();
reportEvents(events, (line) => process.stdout.write(`${line}\n`));
const dev = await startDev(config, events);

const { world, problems } = await new ManifestFolder(config.manifestsDir).load();
if (problems.length > 0) throw new Error(`invalid manifests: ${problems.map((p) => p.message).join('; ')}`);
const connectionChecks = new Map<string, ConnectionCheck>();
for (const o of world.objects) {
  if (o.kind !== 'Connection') continue;
  const check = await checkConnection(o.spec);
  if (!check.ok) throw new Error(`Connection ${o.metadata.namespace}/${o.metadata.name}: ${check.message}`);
  connectionChecks.set(secretKey(o.metadata.namespace, o.metadata.name), check);
}
// Without the generated Secrets dev mode adds, the shared-secret client is not served here: no round needs it.
dev.store.rebuild({ ...world, connectionChecks });
process.stdout.write(`${DEV_WITH_CONNECTIONS_READY}http://127.0.0.1:${dev.port}\n`);

const stop = () => {
  dev.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
