import { html, type SafeHtml } from './html.ts';
import { renderPage } from './layout.ts';
import type { Texts } from './texts.ts';

/** A Connection offered on the login page. */
export interface ConnectionChoice {
  /** `namespace/name`. */
  key: string;
  displayName: string;
}

/** The test-user form of a `test` Connection. */
export interface TestUserForm {
  connection: ConnectionChoice;
  csrf: string;
  /** Prefilled: the `login_hint`, or what was typed before a failed attempt (never the password). */
  username?: string;
  /** Shown above the form after a failed attempt. */
  error?: string;
}

export interface LoginPage {
  texts: Texts;
  clientName: string;
  /** The client's logo (an https URL), shown above the heading. */
  logoUri?: string;
  requestId: string;
  /** Where the forms post: the login path and its `/password` sibling. */
  loginPath: string;
  /** The Connections to choose from, with the token of that form; absent when the choice is made. */
  choose?: { choices: readonly ConnectionChoice[]; csrf: string };
  testUser?: TestUserForm;
}

/**
 * The login page: the client's Connections to choose from, or one `test` Connection's form. Works without
 * script: each choice is a submit button, each input has a label, and the first field takes focus by order.
 */
export function renderLoginPage(page: LoginPage): string {
  const { texts } = page;
  const parts: SafeHtml[] = [];
  if (page.choose !== undefined) parts.push(chooseForm(page, page.choose.choices, page.choose.csrf));
  if (page.testUser !== undefined) parts.push(testUserForm(page, page.testUser));
  return renderPage(texts, {
    title: texts.loginTitle,
    heading: texts.loginHeading(page.clientName),
    logoUri: page.logoUri,
    main: html`${parts}`,
  });
}

function chooseForm(page: LoginPage, choices: readonly ConnectionChoice[], csrf: string): SafeHtml {
  const { texts } = page;
  return html`<form method="post" action="${page.loginPath}">
    <input type="hidden" name="request" value="${page.requestId}" />
    <input type="hidden" name="csrf" value="${csrf}" />
    <h2>${texts.loginChoose}</h2>
    <ul class="choices">
      ${choices.map(
        (c) =>
          html`<li>
            <button type="submit" name="connection" value="${c.key}">
              ${texts.continueWith(c.displayName)}
            </button>
          </li> `,
      )}
    </ul>
  </form> `;
}

function testUserForm(page: LoginPage, form: TestUserForm): SafeHtml {
  const { texts } = page;
  const alert = form.error === undefined ? '' : html`<p class="alert" role="alert">${form.error}</p>`;
  return html`<form method="post" action="${page.loginPath}/password">
    <h2>${form.connection.displayName}</h2>
    ${alert}
    <input type="hidden" name="request" value="${page.requestId}" />
    <input type="hidden" name="csrf" value="${form.csrf}" />
    <input type="hidden" name="connection" value="${form.connection.key}" />
    <label for="username">${texts.username}</label>
    <input
      id="username"
      name="username"
      autocomplete="username"
      autocapitalize="none"
      spellcheck="false"
      required
      value="${form.username ?? ''}"
    />
    <label for="password">${texts.password}</label>
    <input id="password" name="password" type="password" autocomplete="current-password" required />
    <button type="submit">${texts.signIn}</button>
  </form> `;
}
