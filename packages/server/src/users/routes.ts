import { actorOf } from '../http/actor.ts';
import { errorResponses } from '../http/error-responses.ts';
import type { HttpServer } from '../http/server.ts';
import { Page } from '../paging/pages.ts';
import {
  CreateUserBody,
  UpdatedUser,
  UpdateUserBody,
  User,
  UserListQuery,
  UsernameParams,
} from './schemas.ts';
import type { UserService } from './service.ts';

export function registerUserRoutes(app: HttpServer, users: UserService): void {
  const tags = ['users'];

  app.get(
    '/api/v1/users',
    { schema: { tags, summary: 'List users', querystring: UserListQuery, response: { 200: Page(User) } } },
    (request) => users.list(actorOf(request), request.query),
  );

  app.post(
    '/api/v1/users',
    {
      schema: {
        tags,
        summary: 'Add a user (admins)',
        body: CreateUserBody,
        response: { 201: User, ...errorResponses(409) },
      },
    },
    async (request, reply) => reply.status(201).send(await users.create(actorOf(request), request.body)),
  );

  app.get(
    '/api/v1/users/:username',
    { schema: { tags, summary: 'Show a user', params: UsernameParams, response: { 200: User } } },
    (request) => users.show(actorOf(request), request.params.username),
  );

  app.patch(
    '/api/v1/users/:username',
    {
      schema: {
        tags,
        summary: 'Change a user; users may change their own email, display name and password',
        description:
          "A new password signs out the user's other sessions (`sessionsRevoked` says how many); the session " +
          'making the change and API tokens stay valid. See docs/api.md, "Changing a password".',
        params: UsernameParams,
        body: UpdateUserBody,
        response: { 200: UpdatedUser, ...errorResponses(409) },
      },
    },
    (request) => users.update(actorOf(request), request.params.username, request.body),
  );

  app.get(
    '/api/v1/auth/whoami',
    { schema: { tags: ['auth'], summary: 'The signed-in user', response: { 200: User } } },
    (request) => {
      const actor = actorOf(request);
      return users.show(actor, actor.principal.username);
    },
  );
}
