import type { FastifyInstance } from 'fastify';
import { registerAuthorizationEndpoint } from './authorize/endpoint.ts';
import { registerParEndpoint } from './authorize/par.ts';
import { registerDeviceRoutes } from './device/routes.ts';
import { registerEndSessionEndpoint } from './logout.ts';
import { registerUserinfoEndpoint } from '../server/endpoints/userinfo.ts';
import type { PeopleDeps } from './deps.ts';
import { registerSignInRoutes } from './login/routes.ts';

/**
 * Registers every route of people sign-in (issue 12): the authorization endpoint, PAR, the hosted pages,
 * the upstream callback, userinfo, logout, and the device flow's endpoint and page (issue 13). The one place they are listed, so each part adds one line.
 * Called by src/server/app.ts only when runtime state is given (codes, sessions and requests live there).
 */
export function registerPeopleRoutes(app: FastifyInstance, deps: PeopleDeps): void {
  registerAuthorizationEndpoint(app, deps);
  registerParEndpoint(app, deps);
  registerEndSessionEndpoint(app, deps);
  registerSignInRoutes(app, deps);
  registerDeviceRoutes(app, deps);
  registerUserinfoEndpoint(app, { ...deps, issuer: deps.urls.issuer, path: deps.urls.paths.userinfo });
}
