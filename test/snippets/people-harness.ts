/**
 * What the people snippet tests need (issue 12, "real-client snippets"): `latchkey dev` in-process on a copy of
 * examples/people-sign-in plus the CLI's client (snippets/manifests/notes-cli.yaml), with notes-web's Secret
 * mounted as files; a snippet run as a child process whose output the test can wait on; and a browser made of
 * fetch and a cookie jar that follows redirects by hand across the app and Latchkey and fills in the login form.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDev, type DevServer } from '../../src/dev/run.ts';
import { EventBus } from '../../src/events.ts';
import { formOf } from '../people/login-browser.ts';
import { freePort } from '../support/managed-process.ts';
import { mount, ROOT, secretData } from './harness.ts';
import { CookieJar } from '../support/cookie-jar.ts';

export const EXAMPLE = join(ROOT, 'examples/people-sign-in');
export const CLI_MANIFEST = join(ROOT, 'snippets/manifests/notes-cli.yaml');
export const WEB_APP = join(ROOT, 'snippets/node/people-web-app.mjs');
export const CLI = join(ROOT, 'snippets/node/people-cli.mjs');
/** The example's test people. */
export const ALICE = { username: 'alice', password: 'alice-password' };
export const BOB = { username: 'bob', password: 'bob-password' };

export interface PeopleLatchkey {
  dev: DevServer;
  issuer: string;
  workDir: string;
  /** notes-web's Secret as kubelet mounts it: one file per key. */
  webSecretDir: string;
  /** Where the web app is reached, `http://localhost:<port>`: notes-web's redirect URIs in this copy name it. */
  appUrl: string;
  appPort: number;
  close(): Promise<void>;
}

/**
 * Starts `latchkey dev` on a temp copy of the example. The example registers `http://localhost:3000/…` for
 * notes-web; the copy names a free port instead, so that tests running at once do not meet on port 3000.
 */
export async function startPeopleLatchkey(): Promise<PeopleLatchkey> {
  const dir = await mkdtemp(join(tmpdir(), 'latchkey-people-snippets-'));
  const manifests = join(dir, 'manifests');
  const state = join(dir, '.latchkey');
  await mkdir(manifests);
  const appPort = await freePort();
  const appUrl = `http://localhost:${appPort}`;
  for (const file of await readdir(EXAMPLE)) {
    if (!file.endsWith('.yaml')) continue;
    const text = await readFile(join(EXAMPLE, file), 'utf8');
    if (file === 'notes-web.yaml' && !text.includes('http://localhost:3000/')) {
      throw new Error(`${file} no longer registers http://localhost:3000/: update this harness`);
    }
    await writeFile(join(manifests, file), text.replaceAll('http://localhost:3000/', `${appUrl}/`));
  }
  await copyFile(CLI_MANIFEST, join(manifests, 'notes-cli.yaml'));
  const events = new EventBus();
  const problems: string[] = [];
  events.on('manifest.invalid', (p) =>
    problems.push(`${p.file}:${p.line}: ${p.object}: ${p.field}: ${p.message}`),
  );
  events.on('object.notReady', (p) => problems.push(`${p.key}: ${p.reason}: ${p.message}`));
  let dev: DevServer;
  try {
    dev = await startDev(
      {
        manifestsDir: manifests,
        stateDir: state,
        host: '127.0.0.1',
        port: 0,
        opsPort: 0,
        logFormat: 'text',
        watch: false,
      },
      events,
    );
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const close = async () => {
    await dev.close();
    await rm(dir, { recursive: true, force: true });
  };
  if (problems.length > 0) {
    await close();
    throw new Error(`the people example does not serve cleanly:\n${problems.join('\n')}`);
  }
  const data = await secretData(join(state, 'secrets', 'notes', 'notes-web-oauth.yaml'));
  const webSecretDir = await mount(join(dir, 'notes-web-secret'), data);
  return { dev, issuer: dev.issuer, workDir: dir, webSecretDir, appUrl, appPort, close };
}

/** A snippet running as a child process; its output as it arrives. */
export class Snippet {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  /** Its exit code (null when a signal ended it), once it exits. */
  readonly exited: Promise<number | null>;
  private readonly waiters = new Set<() => void>();

  /** Runs `command` (`process.execPath` for a Node.js snippet) with `args` and only the given variables of ours. */
  constructor(command: string, args: readonly string[], env: Record<string, string>) {
    // Only what the test sets: nothing from the outer environment under the names the snippets read.
    const base = Object.fromEntries(
      Object.entries(process.env).filter(
        ([k]) => !/^(LATCHKEY_|NOTES_|APP_URL$|PORT$)/.test(k) && k !== 'XDG_CONFIG_HOME',
      ),
    );
    this.child = spawn(command, [...args], { cwd: ROOT, env: { ...base, ...env } });
    this.child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      this.stdout += d;
      this.notify();
    });
    this.child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      this.stderr += d;
      this.notify();
    });
    this.exited = new Promise((done) => this.child.on('close', (code) => done(code)));
    void this.exited.then(() => this.notify());
  }

  /** The first match of `pattern` in stdout or stderr, waiting for it; fails when the process exits first. */
  async waitFor(stream: 'stdout' | 'stderr', pattern: RegExp): Promise<RegExpExecArray> {
    for (;;) {
      const m = pattern.exec(this[stream]);
      if (m) return m;
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`exited before ${pattern} on ${stream}:\n${this.stdout}\n${this.stderr}`);
      }
      await new Promise<void>((wake) => this.waiters.add(wake));
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    await this.exited;
  }

  private notify(): void {
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }
}

/** What a visit ended at, and every address it went through (the first one included). */
export interface Visited {
  res: Response;
  url: URL;
  body: string;
  hops: URL[];
}

/**
 * A browser: cookies per host name (as browsers keep them, whatever the port), redirects followed by hand from
 * one origin to the other, and forms posted as the page declares them.
 */
export class Browser {
  private readonly jars = new Map<string, CookieJar>();

  /**
   * Requests `url` and follows redirects (a 30x turns into a GET) until an answer that is not one, or until
   * `stopAt` says the next address is where to stop (that address is then in `hops`, not requested).
   */
  async visit(
    url: string | URL,
    options: { form?: Record<string, string>; stopAt?: (next: URL) => boolean } = {},
  ): Promise<Visited> {
    let current = new URL(url);
    const hops = [current];
    let res = await this.request(current, options.form);
    for (let i = 0; i < 20; i++) {
      const location = res.headers.get('location');
      if (res.status < 300 || res.status >= 400 || location === null) {
        return { res, url: current, body: await res.text(), hops };
      }
      await res.body?.cancel();
      current = new URL(location, current);
      hops.push(current);
      if (options.stopAt?.(current)) return { res, url: current, body: '', hops };
      res = await this.request(current);
    }
    throw new Error(`too many redirects: ${hops.join(' -> ')}`);
  }

  /** From `start` (the app's sign-in, or a URL it printed) through Latchkey's login form, signed in as `who`. */
  async signIn(
    start: string | URL,
    who: { username: string; password: string },
    options: { stopAt?: (next: URL) => boolean } = {},
  ): Promise<Visited> {
    const login = await this.visit(start);
    if (login.res.status !== 200) {
      throw new Error(`no login page at the end of ${login.hops.join(' -> ')}: ${login.res.status}`);
    }
    const form = formOf(login.body, '/login/password');
    const signedIn = await this.visit(new URL(form.action, login.url), {
      ...options,
      form: { ...form.fields, username: who.username, password: who.password },
    });
    return { ...signedIn, hops: [...login.hops, ...signedIn.hops] };
  }

  /** Whether this browser holds a cookie for `host` (a host name). */
  cookies(host: string): Map<string, string> {
    return this.jarOf(host).cookies;
  }

  private async request(url: URL, form?: Record<string, string>): Promise<Response> {
    const jar = this.jarOf(url.hostname);
    const headers = jar.with();
    const res = await fetch(
      url,
      form === undefined
        ? { redirect: 'manual', headers }
        : {
            method: 'POST',
            redirect: 'manual',
            headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams(form).toString(),
          },
    );
    return jar.keep(res);
  }

  private jarOf(host: string): CookieJar {
    let jar = this.jars.get(host);
    if (jar === undefined) this.jars.set(host, (jar = new CookieJar()));
    return jar;
  }
}
