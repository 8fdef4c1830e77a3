import type { EventBus } from '../events.ts';

/** Human-readable lines for dev mode: what was applied, what is wrong and where. */
export function reportEvents(events: EventBus, out: (line: string) => void): void {
  events.on('manifest.invalid', (p) =>
    out(`invalid: ${p.file}:${p.line}: ${p.object}: ${p.field ? `${p.field}: ` : ''}${p.message}`),
  );
  events.on('object.notReady', (p) => {
    const [kind, ...rest] = p.key.split('/');
    out(`not ready: ${kind} ${rest.join('/')} (${p.reason}): ${p.message}`);
  });
  events.on('secret.issued', (p) =>
    out(`secret: generated ${p.namespace}/${p.name} for client ${p.clientId}`),
  );
  events.on('tls.reloaded', (p) => out(`tls: serving the renewed certificate (valid until ${p.notAfter})`));
  events.on('tls.reloadFailed', (p) => out(`tls: kept the current certificate: ${p.message}`));
  events.on('reconcile.failed', (p) => out(`${p.controller}: ${p.key}: ${p.message}`));
  events.on('keys.created', (p) => out(`keys: created signing keys for ${p.algorithms.join(', ')}`));
  events.on('store.swapped', (p) =>
    out(
      `applied: ${p.apis} APIs, ${p.clients} clients in effect${p.notReady > 0 ? `, ${p.notReady} objects not ready` : ''}`,
    ),
  );
}
