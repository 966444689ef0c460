import { ApiError } from './errors.ts';
import type { ErrorCode } from './types.ts';

export type FetchFunction = typeof fetch;

/** Query values; `undefined` leaves the parameter out, a list repeats it (`?where=a&where=b`). */
export type QueryValues = Record<string, string | number | boolean | readonly string[] | undefined>;

export interface RequestOptions {
  query?: QueryValues | undefined;
  body?: unknown;
  /** Send no `Authorization` header even if a token is set (login must not leak an old token). */
  anonymous?: boolean;
}

/**
 * Builds a path from a template, URL-encoding every value so that a name can never step into another
 * route (`a/b`, `..`, `?`).
 *
 * @example
 * path`/experiments/${'x/y'}/users/${'bob'}` // '/experiments/x%2Fy/users/bob'
 */
export function path(strings: TemplateStringsArray, ...values: Array<string | number>): string {
  return strings.reduce(
    (built, text, index) =>
      built + text + (index < values.length ? encodeURIComponent(String(values[index])) : ''),
    '',
  );
}

/**
 * One HTTP exchange with the API: JSON in, JSON out, every failure turned into an `ApiError`.
 *
 * @example
 * const transport = new Transport('http://127.0.0.1:8080', { token: process.env.DM_TOKEN });
 * const user = await transport.request<User>('GET', '/api/v1/auth/whoami');
 */
export class Transport {
  readonly server: string;
  token: string | undefined;
  private readonly fetchFunction: FetchFunction;

  constructor(
    server: string,
    options: { token?: string | undefined; fetch?: FetchFunction | undefined } = {},
  ) {
    // People paste URLs with a trailing slash; without trimming it every path would start with `//`.
    this.server = server.replace(/\/+$/, '');
    this.token = options.token;
    this.fetchFunction = options.fetch ?? globalThis.fetch;
  }

  async request<T>(method: string, route: string, options: RequestOptions = {}): Promise<T> {
    const url = this.server + route + queryString(options.query);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token !== undefined && !options.anonymous) headers.authorization = `Bearer ${this.token}`;
    const init: RequestInit = { method, headers };
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(options.body);
    }

    let response: Response;
    try {
      response = await this.fetchFunction(url, init);
    } catch (error) {
      throw unreachable(this.server, error);
    }
    return this.parse<T>(response);
  }

  /**
   * Sends `body` as a stream (application/octet-stream), never holding it whole in memory, and reads a
   * JSON answer. A connection that drops mid-body is thrown as `server_unreachable`.
   *
   * @example
   * await transport.upload('PUT', '/api/v1/daqs/7/files/content', chunks, { query: { offset: 0 } });
   */
  async upload<T>(
    method: string,
    route: string,
    body: AsyncIterable<Uint8Array>,
    options: { query?: QueryValues } = {},
  ): Promise<T> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      'content-type': 'application/octet-stream',
    };
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    let response: Response;
    try {
      // `duplex: 'half'` is what fetch requires of a streamed request body.
      const init = {
        method,
        headers,
        body: body as unknown as RequestInit['body'],
        duplex: 'half',
      } as RequestInit;
      response = await this.fetchFunction(this.server + route + queryString(options.query), init);
    } catch (error) {
      throw unreachable(this.server, error);
    }
    return this.parse<T>(response);
  }

  private async parse<T>(response: Response): Promise<T> {
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw unreachable(this.server, error);
    }
    if (response.status === 204 || (response.ok && text === '')) return undefined as T;

    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ApiError(
        response.status,
        response.ok ? 'invalid_response' : 'http_error',
        `${this.server} answered ${response.status} ${response.statusText} with a body that is not JSON` +
          ' (is this a Photon DM server?)',
      );
    }
    if (!response.ok) throw errorFromBody(response, parsed);
    return parsed as T;
  }

  /**
   * A GET whose body is not JSON (file content): the response, for the caller to stream. Errors are still
   * the API's JSON and become an `ApiError`.
   */
  async stream(
    route: string,
    options: { query?: QueryValues; headers?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { ...options.headers };
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    let response: Response;
    try {
      response = await this.fetchFunction(this.server + route + queryString(options.query), {
        headers,
        ...(options.signal && { signal: options.signal }),
      });
    } catch (error) {
      throw unreachable(this.server, error);
    }
    if (response.ok) return response;
    const text = await response.text().catch(() => '');
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: errorFromBody falls back to the status line
    }
    throw errorFromBody(response, parsed);
  }
}

function queryString(query: QueryValues | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (Array.isArray(value)) for (const item of value) params.append(key, item);
    else if (value !== undefined) params.set(key, String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

function errorFromBody(response: Response, body: unknown): ApiError {
  const error = (body as { error?: unknown } | null)?.error;
  if (typeof error === 'object' && error !== null) {
    const { code, message, details } = error as Record<string, unknown>;
    if (typeof code === 'string' && typeof message === 'string') {
      const detailRecord = typeof details === 'object' && details !== null ? details : {};
      // The server answers with its catalogue's codes (ErrorCode); one added by a newer server passes as is.
      return new ApiError(
        response.status,
        code as ErrorCode,
        message,
        detailRecord as Record<string, unknown>,
      );
    }
  }
  return new ApiError(
    response.status,
    'http_error',
    `${response.url || 'the server'} answered ${response.status} ${response.statusText}`,
  );
}

/** Node's fetch hides the useful part (`ECONNREFUSED`, `ENOTFOUND`) in `cause`. */
function unreachable(server: string, error: unknown): ApiError {
  const cause =
    error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  const reason =
    typeof cause?.code === 'string'
      ? cause.code
      : typeof cause?.message === 'string'
        ? cause.message
        : error instanceof Error
          ? error.message
          : String(error);
  return new ApiError(0, 'server_unreachable', `cannot reach the Photon DM server at ${server} (${reason})`);
}
