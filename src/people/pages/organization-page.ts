import { html } from './html.ts';
import { renderPage } from './layout.ts';
import type { Texts } from './texts.ts';

/** One organization the person may sign in to. */
export interface OrganizationChoice {
  /** The `org_id`: what the form posts. */
  id: string;
  /** Its displayName, else its name. */
  label: string;
}

export interface OrganizationPage {
  texts: Texts;
  clientName: string;
  logoUri?: string;
  requestId: string;
  csrf: string;
  choices: readonly OrganizationChoice[];
  /** Where the form posts. */
  action: string;
}

/**
 * The page where a person who is a member of several organizations of a client that requires one chooses the
 * organization of this sign-in. Works without script: each choice is a submit button, so the keyboard reaches
 * every one in order; Cancel ends the sign-in with `access_denied`.
 */
export function renderOrganizationPage(page: OrganizationPage): string {
  const { texts } = page;
  return renderPage(texts, {
    title: texts.organizationTitle,
    heading: texts.organizationHeading,
    logoUri: page.logoUri,
    main: html`<p id="organization-intro">${texts.organizationIntro(page.clientName)}</p>
      <form method="post" action="${page.action}" aria-describedby="organization-intro">
        <input type="hidden" name="request" value="${page.requestId}" />
        <input type="hidden" name="csrf" value="${page.csrf}" />
        <ul class="choices">
          ${page.choices.map(
            (c) =>
              html`<li>
                <button type="submit" name="organization" value="${c.id}">${c.label}</button>
              </li> `,
          )}
        </ul>
        <button type="submit" name="organization" value="" class="secondary">
          ${texts.organizationCancel}
        </button>
      </form> `,
  });
}
