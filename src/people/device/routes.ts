import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PeopleDeps } from '../deps.ts';
import { pageHandler } from '../login/context.ts';
import { registerDeviceAuthorizationEndpoint } from './authorization-endpoint.ts';
import { showDevicePage, submitUserCode } from './verification.ts';

/**
 * The device flow (RFC 8628, issue 13): the device authorization endpoint, and the verification page where a
 * person enters the code. The token endpoint's side is src/server/grants/device-code.ts.
 */
export function registerDeviceRoutes(app: FastifyInstance, deps: PeopleDeps): void {
  registerDeviceAuthorizationEndpoint(app, deps);
  const show = pageHandler(showDevicePage);
  const submit = pageHandler(submitUserCode);
  const path = deps.urls.paths.device;
  app.get(path, (request: FastifyRequest, reply: FastifyReply) => show(request, reply, deps));
  app.post(path, (request: FastifyRequest, reply: FastifyReply) => submit(request, reply, deps));
}
