import { html } from './html.ts';
import { renderPage } from './layout.ts';
import type { Texts } from './texts.ts';

export interface LinkPage {
  texts: Texts;
  /** The pending link's id: what the form posts back. */
  linkId: string;
  requestId: string;
  csrf: string;
  /** The email (or username) that matched, as the upstream reported it. */
  matched: string;
  connectionName: string;
  /** Where the form posts. */
  action: string;
}

/**
 * Asks the person to confirm linking their new sign-in to the existing account that holds the same verified
 * email (or username): linking is never silent (issue 12, `email_link` and `username_link`).
 */
export function renderLinkPage(page: LinkPage): string {
  const { texts } = page;
  return renderPage(texts, {
    title: texts.linkTitle,
    main: html`<p>${texts.linkIntro(page.matched, page.connectionName)}</p>
      <p>${texts.linkExplain}</p>
      <form method="post" action="${page.action}">
        <input type="hidden" name="request" value="${page.requestId}" />
        <input type="hidden" name="link" value="${page.linkId}" />
        <input type="hidden" name="csrf" value="${page.csrf}" />
        <button type="submit" name="decision" value="link">${texts.linkConfirm}</button>
        <button type="submit" name="decision" value="cancel" class="secondary">${texts.linkCancel}</button>
      </form> `,
  });
}
