import { AppError } from '../errors/app-error.ts';
import { actorOf } from '../http/actor.ts';
import { errorResponses } from '../http/error-responses.ts';
import type { HttpServer } from '../http/server.ts';
import { Page } from '../paging/pages.ts';
import { CreateTokenBody, IssuedToken, LoginBody, Token, TokenListQuery, TokenParams } from './schemas.ts';
import type { AuthService } from './service.ts';

/** An answer carrying a token must not be kept by a browser's or a proxy's cache (RFC 6749 §5.1). */
const noStore = 'no-store';

export function registerAuthRoutes(app: HttpServer, auth: AuthService): void {
  app.post(
    '/api/v1/auth/login',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Exchange a username and password for a session token',
        security: [],
        body: LoginBody,
        response: { 200: IssuedToken, ...errorResponses(429) },
      },
    },
    async (request, reply) => {
      const { username, password, tokenName } = request.body;
      void reply.header('cache-control', noStore);
      try {
        return await auth.login(username, password, tokenName ?? 'login', request.ip);
      } catch (error) {
        // RFC 6585: a 429 may say when to come back, so clients can wait instead of hammering.
        if (error instanceof AppError && error.code === 'too_many_attempts') {
          void reply.header('retry-after', String(error.details.retryAfterSeconds));
        }
        throw error;
      }
    },
  );

  app.post(
    '/api/v1/auth/logout',
    { schema: { tags: ['auth'], summary: 'Revoke the token of this request' } },
    async (request, reply) => {
      const actor = actorOf(request);
      await auth.revokeToken(actor, actor.principal.tokenId);
      return reply.status(204).send();
    },
  );

  const tags = ['tokens'];
  app.get(
    '/api/v1/tokens',
    {
      schema: {
        tags,
        summary: 'List your API tokens',
        querystring: TokenListQuery,
        response: { 200: Page(Token) },
      },
    },
    (request) => auth.listTokens(actorOf(request), request.query),
  );

  app.post(
    '/api/v1/tokens',
    {
      schema: { tags, summary: 'Create an API token', body: CreateTokenBody, response: { 201: IssuedToken } },
    },
    async (request, reply) =>
      reply
        .status(201)
        .header('cache-control', noStore)
        .send(await auth.createToken(actorOf(request), request.body)),
  );

  app.delete(
    '/api/v1/tokens/:id',
    { schema: { tags, summary: 'Revoke an API token', params: TokenParams } },
    async (request, reply) => {
      await auth.revokeToken(actorOf(request), request.params.id);
      return reply.status(204).send();
    },
  );
}
