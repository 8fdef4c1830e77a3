import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PeopleDeps } from '../deps.ts';
import { answerConsent, showConsentPage } from './consent.ts';
import { pageHandler, signInPaths } from './context.ts';
import { continueAfterSignIn } from './finish.ts';
import { confirmLink } from './link.ts';
import { chooseConnection, showLoginPage } from './login-page.ts';
import { chooseOrganization, showOrganizationPage } from './organization.ts';
import { testUserSignIn } from './test-user-sign-in.ts';
import { upstreamCallback } from './upstream-sign-in.ts';

type PageHandler = (request: FastifyRequest, reply: FastifyReply, deps: PeopleDeps) => Promise<FastifyReply>;

/**
 * Registers the hosted sign-in pages (issue 12): the login page and its choice of Connection, the test users'
 * form, the upstream callback, the account-link confirmation, the step after a sign-in, the choice of organization, and the consent page.
 * Every POST checks a CSRF token bound to the browser (csrf.ts).
 */
export function registerSignInRoutes(app: FastifyInstance, deps: PeopleDeps): void {
  const paths = signInPaths(deps);
  const bind = (handler: PageHandler) => {
    const safe = pageHandler(handler);
    return (request: FastifyRequest, reply: FastifyReply) => safe(request, reply, deps);
  };
  app.get(paths.login, bind(showLoginPage));
  app.post(paths.login, bind(chooseConnection));
  app.post(paths.password, bind(testUserSignIn));
  app.get(paths.callback, bind(upstreamCallback));
  app.post(paths.link, bind(confirmLink));
  app.get(paths.continue, bind(continueAfterSignIn));
  app.get(paths.consent, bind(showConsentPage));
  app.post(paths.consent, bind(answerConsent));
  app.get(deps.urls.paths.organization, bind(showOrganizationPage));
  app.post(deps.urls.paths.organization, bind(chooseOrganization));
}
