import type { CompiledClient, FederatedClients } from '../snapshot.ts';

/** The key of one federated identity in {@link FederatedClients.bySubject}. */
export function federatedSubjectKey(connection: string, subject: string): string {
  return `${connection}\0${subject}`;
}

/**
 * The clients federating each subject, from the snapshot's clients in claim order, so a federated token
 * finds its clients without a scan (src/server/grants/federated-client.ts). Most clients federate nothing
 * and cost one check.
 */
export function federatedClientsOf(clients: Iterable<CompiledClient>): FederatedClients {
  const bySubject = new Map<string, CompiledClient[]>();
  const rank = new Map<CompiledClient, number>();
  let place = 0;
  for (const client of clients) {
    place++;
    if (client.federatedIdentities.length === 0) continue;
    rank.set(client, place);
    for (const identity of client.federatedIdentities) {
      const key = federatedSubjectKey(identity.connection, identity.subject);
      const list = bySubject.get(key);
      if (list === undefined) bySubject.set(key, [client]);
      else if (!list.includes(client)) list.push(client);
    }
  }
  return { bySubject, rank };
}
