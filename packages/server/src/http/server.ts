import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  LogController,
} from 'fastify';
import { databaseFullMessage, isDatabaseFull } from '../db/errors.ts';
import { AppError, invalidField, validationFailed } from '../errors/app-error.ts';
import { declareErrorResponses } from './error-responses.ts';
import { declaredCharset, findShapeProblem } from './input-bounds.ts';
import { ErrorResponse } from './schemas.ts';
import { describeValidationErrors, validatorCompiler } from './validation.ts';

export type HttpServer = FastifyInstance<
  import('node:http').Server,
  import('node:http').IncomingMessage,
  import('node:http').ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/**
 * The Fastify instance with Photon DM's boundary rules: one JSON error shape, strict bodies, request ids.
 * Routes are added by each concept's `routes.ts`.
 */
export function createHttpServer(logger: FastifyBaseLogger): HttpServer {
  const app = Fastify({
    loggerInstance: logger,
    // One log line per request, written on completion, instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 16 * 1024 * 1024,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(given) ? given : randomUUID();
    },
    ajv: { customOptions: { removeAdditional: false } },
    return503OnClosing: true,
    forceCloseConnections: true,
  }).withTypeProvider<TypeBoxTypeProvider>();

  // JSON only: Fastify also parses text/plain by default, which would turn a form post into a confusing
  // "must be object" instead of a clear 415.
  app.removeContentTypeParser('text/plain');
  // Before any route is added: each one's schema gets the error answers it can give (error-responses.ts).
  app.addSchema(ErrorResponse);
  app.addHook('onRoute', declareErrorResponses);
  app.setValidatorCompiler(validatorCompiler);
  app.setSchemaErrorFormatter((errors, dataVar) => {
    return validationFailed(describeValidationErrors(dataVar, errors as never));
  });

  // The body is read as UTF-8 whatever it declares: a body in another charset would be misread (or pass
  // a check in one encoding and mean something else in another), so it is refused before it is parsed.
  app.addHook('preParsing', async (request) => {
    const charset = declaredCharset(request.headers['content-type']);
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      throw new AppError('unsupported_media_type', `send the request body as UTF-8, not "${charset}"`, {
        charset,
      });
    }
  });
  // Before the schemas look at it: a body nested thousands of levels deep would overflow the stack of
  // whatever walks it later (a response, a JSONB write), and no request needs more than a few levels. A NUL
  // in any value (path, query or body) is refused too: PostgreSQL cannot store it, SQLite would.
  app.addHook('preValidation', async (request) => {
    for (const [part, value] of [
      ['params', request.params],
      ['querystring', request.query],
      ['body', request.body],
    ] as const) {
      const problem = findShapeProblem(value);
      if (problem) throw invalidField(problem.path === '' ? part : problem.path, problem.message);
    }
  });

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        // A download link is a credential until it expires: logs keep that a link was used, not the link.
        url: request.url.replace(/([?&]link=)[^&]*/, '$1(redacted)'),
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    );
  });

  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    const appError = toAppError(error);
    if (appError.status >= 500) request.log.error({ err: error }, 'request failed');
    void reply.status(appError.status).send(appError.toJSON());
  });

  app.setNotFoundHandler((request, reply) => {
    const error = new AppError('route_not_found', `no route ${request.method} ${request.url.split('?')[0]}`);
    void reply.status(404).send(error.toJSON());
  });

  return app;
}

/** Maps Fastify's own 4xx errors onto the catalogue; anything unknown is an internal error, never leaked. */
function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  // Not the request's fault and not an unknown failure: the same write succeeds once space returns.
  if (isDatabaseFull(error)) return new AppError('storage_full', databaseFullMessage, { disk: 'database' });
  const fastifyError = error as Partial<FastifyError>;
  const validation = fastifyError.validation;
  if (validation) {
    return validationFailed(
      describeValidationErrors(fastifyError.validationContext ?? 'body', validation as never),
    );
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('invalid_json', `request body is not valid JSON: ${fastifyError.message}`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('unsupported_media_type', 'send the request body as application/json');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('payload_too_large', 'request body is too large');
    default:
      break;
  }
  if (error instanceof SyntaxError && fastifyError.statusCode === 400) {
    return new AppError('invalid_json', `request body is not valid JSON: ${error.message}`);
  }
  if (
    typeof fastifyError.statusCode === 'number' &&
    fastifyError.statusCode >= 400 &&
    fastifyError.statusCode < 500
  ) {
    return new AppError('validation_failed', fastifyError.message ?? 'bad request');
  }
  return new AppError('internal_error', 'internal error; the server log has the details');
}
