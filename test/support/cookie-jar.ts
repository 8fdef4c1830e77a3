/**
 * The cookies of one host as a browser keeps them for the tests that walk sign-ins with `fetch`: by name, a
 * `Max-Age=0` or empty value deletes one, attributes are not enforced (the tests that check them read
 * `Set-Cookie` themselves).
 */
export class CookieJar {
  readonly cookies = new Map<string, string>();

  /** The `Cookie` header to send; '' with none. */
  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  /** `headers` with the `Cookie` header added when there are cookies. */
  with(headers: Record<string, string> = {}): Record<string, string> {
    const cookie = this.header();
    return cookie === '' ? headers : { ...headers, cookie };
  }

  /** Keeps what an answer sets; returns the answer. */
  keep<R extends { headers: { getSetCookie(): string[] } }>(res: R): R {
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const [name, value] = [pair.slice(0, eq).trim(), pair.slice(eq + 1).trim()];
      if (/max-age=0/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }
}
