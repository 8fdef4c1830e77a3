import { html } from './html.ts';
import { renderPage } from './layout.ts';
import type { Texts } from './texts.ts';

export interface ConsentPage {
  texts: Texts;
  clientName: string;
  /** The client's logo (an https URL), shown above the heading. */
  logoUri?: string;
  requestId: string;
  csrf: string;
  /** What each requested scope allows, in words ({@link describeScopes}). */
  scopes: readonly string[];
  /** Where the form posts. */
  action: string;
}

/** The scopes with fixed words (OpenID Connect Core §5.4 and §11); others are described by their API. */
const OPENID_SCOPES: Readonly<Record<string, (t: Texts) => string>> = {
  openid: (t) => t.scopeOpenid,
  profile: (t) => t.scopeProfile,
  email: (t) => t.scopeEmail,
  offline_access: (t) => t.scopeOfflineAccess,
};

/**
 * The requested scopes in words: OpenID scopes by their fixed texts, an API scope as its description (or name)
 * with the API it belongs to.
 *
 * @param apiOf the API (its name to show) and the scope's description, when one of the request's APIs declares it
 */
export function describeScopes(
  texts: Texts,
  scopes: readonly string[],
  apiOf: (scope: string) => { api: string; description?: string } | undefined,
): string[] {
  return scopes.map((scope) => {
    const fixed = Object.hasOwn(OPENID_SCOPES, scope) ? OPENID_SCOPES[scope] : undefined;
    if (fixed !== undefined) return fixed(texts);
    const found = apiOf(scope);
    return found === undefined ? scope : texts.scopeOnApi(found.description ?? scope, found.api);
  });
}

/** The consent page of a third-party client: who asks, for what, and Allow or Deny. */
export function renderConsentPage(page: ConsentPage): string {
  const { texts } = page;
  return renderPage(texts, {
    title: texts.consentTitle,
    heading: texts.consentHeading(page.clientName),
    logoUri: page.logoUri,
    main: html`<p>${texts.consentIntro(page.clientName)}</p>
      <section aria-labelledby="scopes-heading">
        <h2 id="scopes-heading">${texts.consentScopes}</h2>
        <ul>
          ${page.scopes.map((s) => html`<li>${s}</li> `)}
        </ul>
      </section>
      <form method="post" action="${page.action}">
        <input type="hidden" name="request" value="${page.requestId}" />
        <input type="hidden" name="csrf" value="${page.csrf}" />
        <button type="submit" name="decision" value="allow">${texts.consentAllow}</button>
        <button type="submit" name="decision" value="deny" class="secondary">${texts.consentDeny}</button>
      </form> `,
  });
}
