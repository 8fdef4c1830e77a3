import { html } from './html.ts';
import { renderPage } from './layout.ts';
import type { Texts } from './texts.ts';

/** The verification page's form (RFC 8628 §3.3): the code the device shows. */
export interface DeviceCodePage {
  texts: Texts;
  /** Where the form posts: the page itself. */
  action: string;
  csrf: string;
  /** Prefilled: the code of `verification_uri_complete`, or what was typed before it was refused. */
  userCode?: string;
  /** Why the code typed before was refused. */
  error?: string;
}

/**
 * The page where a person enters a device's code. Works without script, one labelled field with its hint tied
 * by `aria-describedby`; a refused code is announced (`role="alert"`) and the field marked invalid. Even with
 * the code filled in from `verification_uri_complete` the person submits it: nothing happens by opening a link.
 */
export function renderDeviceCodePage(page: DeviceCodePage): string {
  const { texts } = page;
  const invalid = page.error === undefined ? undefined : 'true';
  const alert =
    page.error === undefined ? '' : html`<p class="alert" role="alert" id="code-error">${page.error}</p>`;
  return renderPage(texts, {
    title: texts.deviceTitle,
    main: html`<p>${texts.deviceIntro}</p>
      ${alert}
      <form method="post" action="${page.action}">
        <input type="hidden" name="csrf" value="${page.csrf}" />
        <label for="user_code">${texts.deviceCodeLabel}</label>
        <p class="hint" id="code-hint">${texts.deviceCodeHint}</p>
        <input
          id="user_code"
          name="user_code"
          autocomplete="one-time-code"
          autocapitalize="characters"
          spellcheck="false"
          maxlength="64"
          required
          aria-describedby="code-hint${invalid === undefined ? '' : ' code-error'}"
          aria-invalid="${invalid ?? 'false'}"
          value="${page.userCode ?? ''}"
        />
        <button type="submit">${texts.deviceContinue}</button>
      </form> `,
  });
}

/** What the person sees once they answered: the device is signed in, or not. */
export function renderDeviceAnsweredPage(texts: Texts, approved: boolean, clientName: string): string {
  return renderPage(texts, {
    title: approved ? texts.deviceApprovedTitle : texts.deviceDeniedTitle,
    main: html`<p role="status">
      ${approved ? texts.deviceApprovedMessage(clientName) : texts.deviceDeniedMessage}
    </p>`,
  });
}
