import { Agent, type Dispatcher } from 'undici';
import type { KubeConnection } from './config.ts';
import { KubeConnectionError, kubeApiErrorFrom } from './errors.ts';

export interface TransportOptions {
  /** How long a call may wait for the answer's headers, and between chunks of its body (default 30 s). */
  timeoutMs?: number;
  userAgent?: string;
}

export interface CallOptions {
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  /** Answer undefined for 404 instead of throwing (for `get`). */
  notFoundOk?: boolean;
}

/** JSON over HTTPS to one API server. Every error names the method and path, never a request body. */
export interface Transport {
  call(method: Dispatcher.HttpMethod, path: string, options?: CallOptions): Promise<unknown>;
  /** Opens a stream of newline-delimited JSON values (a watch); rejects when the answer is not 2xx. */
  stream(path: string, signal: AbortSignal): Promise<AsyncIterable<unknown>>;
  close(): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** Creates the connection pool and request functions for `connection`. */
export function createTransport(connection: KubeConnection, options: TransportOptions = {}): Transport {
  const server: Server = {
    agent: new Agent(agentOptions(connection, options.timeoutMs ?? DEFAULT_TIMEOUT_MS)),
    connection,
    origin: connection.server.origin,
    prefix: connection.server.pathname.replace(/\/+$/, ''),
    userAgent: options.userAgent ?? 'latchkey',
  };
  return {
    call: (method, path, callOptions = {}) => call(server, method, path, callOptions),
    stream: (path, signal) => stream(server, path, signal),
    close: () => server.agent.close(),
  };
}

/** The pool of connections to one API server and what every request to it carries. */
interface Server {
  agent: Agent;
  connection: KubeConnection;
  origin: string;
  /** The server URL's path without its trailing slashes, put before every request path. */
  prefix: string;
  userAgent: string;
}

interface SendInit {
  body?: string;
  contentType?: string;
  signal?: AbortSignal;
  bodyTimeout?: number;
}

/** The pool's settings: the connection's TLS material, and `timeoutMs` for headers and between body chunks. */
export function agentOptions(connection: KubeConnection, timeoutMs: number): Agent.Options {
  return {
    connect: {
      ...(connection.ca !== undefined ? { ca: connection.ca } : {}),
      ...(connection.cert !== undefined ? { cert: connection.cert, key: connection.key } : {}),
      rejectUnauthorized: !connection.insecureSkipTlsVerify,
      ...(connection.tlsServerName !== undefined ? { servername: connection.tlsServerName } : {}),
    },
    // HTTP/1.1 on purpose: each watch gets its own socket, whose TCP keep-alive detects a dead peer. Over
    // HTTP/2 every watch shares one connection that only HTTP/2 pings would find dead (kubernetes#87615).
    allowH2: false,
    keepAliveTimeout: 30_000,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  };
}

async function call(
  server: Server,
  method: Dispatcher.HttpMethod,
  path: string,
  callOptions: CallOptions,
): Promise<unknown> {
  const what = `${method} ${path}`;
  const res = await send(server, method, path, {
    ...(callOptions.body !== undefined ? { body: JSON.stringify(callOptions.body) } : {}),
    ...(callOptions.contentType !== undefined ? { contentType: callOptions.contentType } : {}),
    ...(callOptions.signal !== undefined ? { signal: callOptions.signal } : {}),
  });
  const text = await readText(res, what, callOptions.signal);
  return answerOf(res.statusCode, text, what, callOptions.notFoundOk === true);
}

/**
 * What a call answers for a response: undefined for an accepted 404 or an empty body, the parsed JSON of a
 * 2xx; a KubeApiError for any other status and a KubeConnectionError for a body that is not JSON.
 */
export function answerOf(statusCode: number, text: string, what: string, notFoundOk: boolean): unknown {
  if (statusCode === 404 && notFoundOk) return undefined;
  if (statusCode < 200 || statusCode > 299) throw kubeApiErrorFrom(statusCode, text, what);
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new KubeConnectionError(`${what}: the answer is not JSON`, { cause: error });
  }
}

async function stream(server: Server, path: string, signal: AbortSignal): Promise<AsyncIterable<unknown>> {
  const what = `GET ${path}`;
  // No body timeout: a quiet collection sends nothing for minutes. The caller bounds the stream's life.
  const res = await send(server, 'GET', path, { signal, bodyTimeout: 0 });
  if (res.statusCode < 200 || res.statusCode > 299) {
    throw kubeApiErrorFrom(res.statusCode, await readText(res, what, signal), what);
  }
  return jsonLines(res.body, what, signal);
}

async function send(
  server: Server,
  method: Dispatcher.HttpMethod,
  path: string,
  init: SendInit,
): Promise<Dispatcher.ResponseData> {
  try {
    return await server.agent.request({
      origin: server.origin,
      path: server.prefix + path,
      method,
      headers: await headersFor(server, init.contentType),
      ...(init.body !== undefined ? { body: init.body } : {}),
      ...(init.signal !== undefined ? { signal: init.signal } : {}),
      ...(init.bodyTimeout !== undefined ? { bodyTimeout: init.bodyTimeout } : {}),
    });
  } catch (error) {
    if (init.signal?.aborted) throw error;
    throw new KubeConnectionError(`${method} ${path}: ${(error as Error).message}`, { cause: error });
  }
}

async function headersFor(server: Server, contentType?: string): Promise<Record<string, string>> {
  const headers: Record<string, string> = {
    ...server.connection.headers,
    // /openid/v1/jwks is served only as application/jwk-set+json.
    accept: 'application/json, application/jwk-set+json',
    'user-agent': server.userAgent,
  };
  if (contentType !== undefined) headers['content-type'] = contentType;
  const authorization = await server.connection.authorization();
  if (authorization !== undefined) headers.authorization = authorization;
  return headers;
}

async function readText(res: Dispatcher.ResponseData, what: string, signal?: AbortSignal): Promise<string> {
  try {
    return await res.body.text();
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new KubeConnectionError(`${what}: ${(error as Error).message}`, { cause: error });
  }
}

/** The JSON values of a newline-delimited stream; a broken connection throws KubeConnectionError. */
async function* jsonLines(
  body: AsyncIterable<Buffer | string> & { destroy(): unknown },
  what: string,
  signal: AbortSignal,
): AsyncGenerator<unknown> {
  const decoder = new TextDecoder();
  let buffered = '';
  try {
    for await (const chunk of body) {
      buffered += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line) yield parseLine(line, what);
      }
    }
  } catch (error) {
    if (signal.aborted || error instanceof KubeConnectionError) throw error;
    throw new KubeConnectionError(`${what}: ${(error as Error).message}`, { cause: error });
  } finally {
    // Ends the request when the consumer stops early (break, return or throw).
    body.destroy();
  }
  const rest = (buffered + decoder.decode()).trim();
  if (rest) yield parseLine(rest, what);
}

function parseLine(line: string, what: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch (error) {
    throw new KubeConnectionError(`${what}: a watch event is not JSON`, { cause: error });
  }
}
