import type { PeopleHarness } from './harness.ts';
import { CookieJar } from '../support/cookie-jar.ts';

/**
 * A browser for the hosted-page tests: plain fetch with a cookie jar, redirects by hand, and the forms of a page
 * read from its HTML as a browser would submit them. Cookies are kept by name (the pages set host-only cookies
 * with `Path=/`); `Max-Age=0` removes one.
 */
export class Browser {
  readonly jar = new CookieJar();
  readonly cookies = this.jar.cookies;
  readonly h: Pick<PeopleHarness, 'issuer'>;
  constructor(h: Pick<PeopleHarness, 'issuer'>) {
    this.h = h;
  }

  cookieHeader(): string {
    return this.jar.header();
  }

  async get(url: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.keep(await fetch(this.absolute(url), { redirect: 'manual', headers: this.headers(headers) }));
  }

  async post(
    url: string,
    form: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    const res = await fetch(this.absolute(url), {
      method: 'POST',
      redirect: 'manual',
      headers: this.headers({ 'content-type': 'application/x-www-form-urlencoded', ...headers }),
      body: new URLSearchParams(form).toString(),
    });
    return this.keep(res);
  }

  /** Follows 303s while they stay on the issuer; returns the last answer (a page, or a redirect elsewhere). */
  async follow(res: Response): Promise<Response> {
    let current = res;
    for (let hops = 0; hops < 10; hops++) {
      const location = current.headers.get('location');
      if (current.status !== 303 || location === null) return current;
      const next = new URL(location, this.h.issuer);
      if (next.origin !== new URL(this.h.issuer).origin) return current;
      current = await this.get(next.href);
    }
    throw new Error('too many redirects');
  }

  private absolute(url: string): string {
    return new URL(url, this.h.issuer).href;
  }

  private headers(extra: Record<string, string>): Record<string, string> {
    return this.jar.with(extra);
  }

  private keep(res: Response): Response {
    return this.jar.keep(res);
  }
}

/** A form of a page: where it posts and its fields as a browser would send them (hidden inputs, and the button). */
export interface PageForm {
  action: string;
  fields: Record<string, string>;
  /** The submit buttons' `name=value`, in order. */
  buttons: { name: string; value: string; label: string }[];
}

const ENTITIES: Record<string, string> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&#39;': "'",
  '&#96;': '`',
};

export function unescapeHtml(text: string): string {
  return text.replace(/&(?:amp|lt|gt|quot|#39|#96);/g, (e) => ENTITIES[e] ?? e);
}

function attribute(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return m === null ? undefined : unescapeHtml(m[1] as string);
}

/** Every form of a page. */
export function formsOf(page: string): PageForm[] {
  return [...page.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)].map((m) => {
    const inner = m[2] as string;
    const fields: Record<string, string> = {};
    for (const input of inner.matchAll(/<input\b[^>]*>/g)) {
      const name = attribute(input[0], 'name');
      if (name !== undefined && attribute(input[0], 'type') === 'hidden')
        fields[name] = attribute(input[0], 'value') ?? '';
    }
    const buttons = [...inner.matchAll(/<button\b([^>]*)>([\s\S]*?)<\/button>/g)].map((b) => ({
      name: attribute(b[0], 'name') ?? '',
      value: attribute(b[0], 'value') ?? '',
      label: unescapeHtml((b[2] as string).trim()),
    }));
    return { action: attribute(m[0], 'action') ?? '', fields, buttons };
  });
}

/** The one form of a page whose action ends with `suffix`. */
export function formOf(page: string, suffix: string): PageForm {
  const found = formsOf(page).filter((f) => f.action.endsWith(suffix));
  if (found.length !== 1)
    throw new Error(`expected one form posting to *${suffix}, found ${found.length}:\n${page}`);
  return found[0] as PageForm;
}
