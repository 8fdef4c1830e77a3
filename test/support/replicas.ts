import { EventBus } from '../../src/events.ts';
import type { AddressPolicy } from '../../src/outbound/address-policy.ts';
import { startServers, type RunningServers } from '../../src/server/start.ts';
import { openPostgresState, type PostgresState } from '../../src/state/postgres/postgres-state.ts';
import type { SnapshotSource } from '../../src/store/snapshot.ts';

/** One Latchkey replica of a test: its servers, its own pool to the shared PostgreSQL, and its address. */
export interface Replica {
  servers: RunningServers;
  state: PostgresState;
  /** `http://127.0.0.1:<port>`: where a test's load balancer sends what it routes here. */
  base: string;
}

/**
 * Starts `count` replicas serving one issuer from one snapshot source, each with its own connections to the
 * PostgreSQL at `url`, as replicas of one Deployment share a database; on 127.0.0.1, stopped by
 * {@link stopReplicas}.
 */
export async function startReplicas(options: {
  url: string;
  source: SnapshotSource;
  issuer: string;
  now: () => number;
  timeouts: { connectTimeoutMs: number; statementTimeoutMs: number; idleTimeoutMs: number };
  addressPolicy?: AddressPolicy;
  count?: number;
}): Promise<Replica[]> {
  const replicas: Replica[] = [];
  for (let i = 0; i < (options.count ?? 2); i += 1) {
    const state = await openPostgresState({
      url: options.url,
      timeouts: options.timeouts,
      maxConnections: 4,
    });
    const servers = await startServers({
      source: options.source,
      issuer: options.issuer,
      port: 0,
      opsPort: 0,
      now: options.now,
      events: new EventBus(),
      ready: () => true,
      state,
      ...(options.addressPolicy === undefined ? {} : { addressPolicy: options.addressPolicy }),
    });
    replicas.push({ servers, state, base: `http://127.0.0.1:${servers.port}` });
  }
  return replicas;
}

/** Stops each replica's servers, then its pool. */
export async function stopReplicas(replicas: readonly Replica[]): Promise<void> {
  for (const r of replicas) {
    await r.servers.close();
    await r.state.close();
  }
}
