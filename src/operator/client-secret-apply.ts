import type { EventBus } from '../events.ts';
import { CORE_SECRETS, type KubeApi, type KubeObject } from '../kube/types.ts';
import type { SecretAction } from './client-secret-rotation.ts';
import { secretNews, type SecretEventNote } from './client-secret-events.ts';
import { regardingOf, type EventRecorder } from './recorder.ts';

export interface ClientSecretApplyDeps {
  api: Pick<KubeApi, 'create' | 'patch'>;
  events: EventBus;
  recorder: EventRecorder;
}

/** Apply: writes a client's Secret as {@link SecretAction} decided, then tells what {@link secretNews} says. */
export class ClientSecretWriter {
  readonly #deps: ClientSecretApplyDeps;
  /** The note last recorded per object and reason, for Events recorded once per distinct problem. */
  readonly #recorded = new Map<string, string>();

  constructor(deps: ClientSecretApplyDeps) {
    this.#deps = deps;
  }

  /** `client` is the cached OAuthClient; `secretName` the Secret its spec names. */
  async apply(client: KubeObject, action: SecretAction, secretName: () => string): Promise<void> {
    const namespace = client.metadata.namespace ?? '';
    let named = '';
    switch (action.kind) {
      case 'none':
        return;
      case 'create':
        await this.#deps.api.create(CORE_SECRETS, namespace, action.body);
        break;
      case 'update':
        named = secretName();
        await this.#deps.api.patch(
          CORE_SECRETS,
          namespace,
          named,
          {
            data: action.data,
            ...(action.annotations !== undefined ? { metadata: { annotations: action.annotations } } : {}),
          },
          action.resourceVersion !== undefined ? { resourceVersion: action.resourceVersion } : {},
        );
        break;
      case 'conflict':
        break;
    }
    for (const news of secretNews(action, {
      namespace,
      clientName: client.metadata.name,
      secretName: named,
    })) {
      if ('emit' in news) this.#deps.events.emit('secret.issued', news.emit);
      else await this.#record(client, news.record);
    }
  }

  async #record(client: KubeObject, e: SecretEventNote): Promise<void> {
    if (e.once === true) {
      const key = `${client.metadata.namespace}/${client.metadata.name}/${e.reason}`;
      if (this.#recorded.get(key) === e.note) return;
      this.#recorded.set(key, e.note);
    }
    await this.#deps.recorder.record(regardingOf('OAuthClient', client), e.type, e.reason, e.action, e.note);
  }
}
