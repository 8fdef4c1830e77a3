/**
 * Latchkey on PostgreSQL for `npm run bench:peers -- --latchkey-state postgres`. `latchkey dev` keeps its
 * runtime state in SQLite only, so this child does what dev mode does (the same manifests folder, state folder,
 * signing keys and generated Secrets, `test` Connections allowed, events reported as dev mode reports them)
 * with one difference: the runtime state is the PostgreSQL at the config's URL, as replicas share it. The
 * folder is loaded once, without watching. Prints {@link LATCHKEY_POSTGRES_READY} and the issuer once it serves.
 */

import '../lib/child-guard.ts';
import { systemClock } from '../../src/clock.ts';
import { DEV_ADDRESS_POLICY } from '../../src/dev/config.ts';
import { DeclaredInRecord } from '../../src/dev/declared-in.ts';
import { FirstSeenRecord } from '../../src/dev/first-seen.ts';
import { ManifestFolder } from '../../src/dev/manifest-folder.ts';
import { reportEvents } from '../../src/dev/reporter.ts';
import { DevState } from '../../src/dev/state.ts';
import { uncheckedIssuerMessages } from '../../src/dev/unchecked-issuer.ts';
import { EventBus } from '../../src/events.ts';
import { keySetAt } from '../../src/keys/lifecycle.ts';
import { DEFAULT_ROTATION } from '../../src/keys/signing-key-rotation.ts';
import { startServers } from '../../src/server/start.ts';
import { openPostgresState } from '../../src/state/postgres/postgres-state.ts';
import type { DeclaredOAuthClient, SecretData } from '../../src/store/objects.ts';
import { Store } from '../../src/store/store.ts';
import { readConfig } from '../lib/protocol.ts';
import { LATCHKEY_POSTGRES_READY, type LatchkeyPostgresConfig } from './peers-protocol.ts';

const config = readConfig<LatchkeyPostgresConfig>();
const now = systemClock;
const events = new EventBus();
reportEvents(events, (line) => process.stdout.write(`${line}\n`));

const dev = new DevState(config.stateDir, events);
const keys = keySetAt((await dev.loadKeyRing(now())).keys, now(), DEFAULT_ROTATION);
const store = new Store(keys, events);
const state = await openPostgresState({ url: config.url });
let ready = false;
const servers = await startServers({
  state,
  source: store,
  port: 0,
  opsPort: 0,
  addressPolicy: DEV_ADDRESS_POLICY,
  now,
  events,
  ready: () => ready,
  serveOnlyWhen: () => ready,
});

const folder = new ManifestFolder(config.manifestsDir, {
  declaredIn: new DeclaredInRecord(dev.declaredInPath),
});
const { world: read, problems } = await folder.load();
for (const p of problems) events.emit('manifest.invalid', p);
const world = { ...read, objects: await new FirstSeenRecord(dev.firstSeenPath).stamp(read.objects, now()) };
const secrets = new Map<string, SecretData>(world.secrets);
const urls = { issuer: servers.issuer, tokenEndpoint: servers.tokenEndpoint };
for (const o of world.objects) {
  if (o.kind !== 'OAuthClient' || (o as DeclaredOAuthClient).spec.secret.source !== 'Generate') continue;
  const s = await dev.ensureClientSecret(o as DeclaredOAuthClient, urls);
  secrets.set(`${s.namespace}/${s.name}`, s);
}
store.rebuild(
  {
    ...world,
    secrets,
    addressPolicy: DEV_ADDRESS_POLICY,
    uncheckedIssuer: uncheckedIssuerMessages(false),
    allowTestConnections: true,
  },
  keys,
);
ready = true;
process.stdout.write(`${LATCHKEY_POSTGRES_READY}${servers.issuer}\n`);

const stop = () => {
  servers.close().then(
    () => state.close().finally(() => process.exit(0)),
    () => process.exit(1),
  );
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
