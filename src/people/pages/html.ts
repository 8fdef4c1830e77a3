/**
 * HTML built from a tagged template that escapes every interpolated value unless it is already {@link SafeHtml}.
 * The hosted pages show what others wrote (a client's displayName, a `login_hint`, an upstream's error text),
 * so escaping is the default and only markup built here is trusted.
 */

/** Markup that is already safe to put in a page: built by {@link html} or {@link escapeHtml}. */
export class SafeHtml {
  readonly #text: string;
  constructor(text: string) {
    this.#text = text;
  }
  toString(): string {
    return this.#text;
  }
}

const SPECIAL = /[&<>"'`]/g;
const ENTITY: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/**
 * Escapes text for element content and for quoted attribute values.
 *
 * @example
 * escapeHtml('<b>"x"</b>').toString(); // '&lt;b&gt;&quot;x&quot;&lt;/b&gt;'
 */
export function escapeHtml(text: string): SafeHtml {
  return new SafeHtml(text.replace(SPECIAL, (c) => ENTITY[c] ?? c));
}

/** What may go into {@link html}: text (escaped), safe markup, or lists of them; nullish and false render nothing. */
export type HtmlValue = string | number | SafeHtml | false | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === undefined || value === null || value === false) return '';
  if (value instanceof SafeHtml) return value.toString();
  if (Array.isArray(value)) return (value as readonly HtmlValue[]).map(render).join('');
  return escapeHtml(String(value)).toString();
}

/**
 * Builds markup; interpolated strings are escaped.
 *
 * @example
 * html`<p>${'<script>'}</p>`.toString(); // '<p>&lt;script&gt;</p>'
 */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '');
  return new SafeHtml(out);
}
