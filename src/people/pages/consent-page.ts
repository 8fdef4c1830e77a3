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
  /** Set for a device's sign-in (RFC 8628): the page confirms the device, showing its code. */
  device?: { userCode: string };
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

/**
 * The consent page of a third-party client: who asks, for what, and Allow or Deny. For a device's sign-in it is
 * the confirmation RFC 8628 §5.4 asks for against remote phishing: the code the device must show, a warning, and
 * Confirm or Deny, whatever the client.
 */
export function renderConsentPage(page: ConsentPage): string {
  const { texts, device } = page;
  const intro =
    device === undefined
      ? html`<p>${texts.consentIntro(page.clientName)}</p>`
      : html`<p>${texts.deviceConfirmCode}</p>
          <p class="code" id="device-code">${device.userCode}</p>
          <p class="alert" role="note">${texts.deviceConfirmWarning}</p>
          <p>${texts.deviceConfirmIntro(page.clientName)}</p>`;
  return renderPage(texts, {
    title: device === undefined ? texts.consentTitle : texts.deviceConfirmTitle,
    heading:
      device === undefined
        ? texts.consentHeading(page.clientName)
        : texts.deviceConfirmHeading(page.clientName),
    logoUri: page.logoUri,
    main: html`${intro}
      <section aria-labelledby="scopes-heading">
        <h2 id="scopes-heading">${texts.consentScopes}</h2>
        <ul>
          ${page.scopes.map((s) => html`<li>${s}</li> `)}
        </ul>
      </section>
      <form method="post" action="${page.action}">
        <input type="hidden" name="request" value="${page.requestId}" />
        <input type="hidden" name="csrf" value="${page.csrf}" />
        <button type="submit" name="decision" value="allow">
          ${device === undefined ? texts.consentAllow : texts.deviceConfirmAllow}
        </button>
        <button type="submit" name="decision" value="deny" class="secondary">
          ${device === undefined ? texts.consentDeny : texts.deviceConfirmDeny}
        </button>
      </form> `,
  });
}
