import type { Readable } from 'node:stream';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { DaqParams } from '../daq/schemas.ts';
import { actorOf } from '../http/actor.ts';
import { errorResponses } from '../http/error-responses.ts';
import type { HttpServer } from '../http/server.ts';
import { validatorCompiler } from '../http/validation.ts';
import {
  ChecksumsBody,
  ClaimBody,
  ClaimResponse,
  CommitsBody,
  CommitsResponse,
  ContentQuery,
  ContentResponse,
  FileVersionBody,
  OfferResponse,
  OffersBody,
  OffersResponse,
  OwnerBody,
  RefuseBody,
  RenewBody,
  RenewResponse,
  TakenResponse,
} from './schemas.ts';
import type { DaqAgentService } from './service.ts';

/** The endpoints `dm daq-agent` uses (docs/api.md "DAQ agents"); staff of the DAQ's station only. */
export function registerDaqAgentRoutes(app: HttpServer, agents: DaqAgentService): void {
  const tags = ['daq agents'];
  /** A call from an agent whose lease on the DAQ ended (another took it, or it stopped): 409 `lease_lost`. */
  const leaseErrors = errorResponses(409);
  app.post(
    '/api/v1/daqs/claim',
    {
      schema: {
        tags,
        summary: 'Claim a DAQ assigned to this agent (with a lease), or none',
        body: ClaimBody,
        response: { 200: ClaimResponse },
      },
    },
    (request) => agents.claim(actorOf(request), request.body),
  );
  app.post(
    '/api/v1/daqs/:id/renew',
    {
      schema: {
        tags,
        summary: "Renew an agent's lease and report the files it could not take",
        params: DaqParams,
        body: RenewBody,
        response: { 200: RenewResponse },
      },
    },
    (request) => agents.renew(actorOf(request), request.params.id, request.body),
  );
  app.post(
    '/api/v1/daqs/:id/release',
    {
      schema: { tags, summary: 'Give a DAQ up (agent stopping)', params: DaqParams, body: OwnerBody },
    },
    async (request, reply) => {
      await agents.release(actorOf(request), request.params.id, request.body.owner);
      return reply.status(204).send();
    },
  );
  app.post(
    '/api/v1/daqs/:id/refuse',
    {
      config: { errors: [409] },
      schema: {
        tags,
        summary: "The agent will not read the DAQ's directory: it ends as failed with the reason",
        params: DaqParams,
        body: RefuseBody,
      },
    },
    async (request, reply) => {
      await agents.refuse(actorOf(request), request.params.id, request.body);
      return reply.status(204).send();
    },
  );
  app.post(
    '/api/v1/daqs/:id/files/offer',
    {
      schema: {
        tags,
        summary: 'Announce a file version: skip it, or send it from the bytes already held',
        params: DaqParams,
        body: FileVersionBody,
        response: { 200: OfferResponse, ...leaseErrors },
      },
    },
    (request) => agents.offer(actorOf(request), request.params.id, request.body),
  );
  app.post(
    '/api/v1/daqs/:id/files/commit',
    {
      schema: {
        tags,
        summary: 'Verify a sent file against its checksums, put it in place and catalog it',
        params: DaqParams,
        body: ChecksumsBody,
        response: { 200: TakenResponse, ...errorResponses(409, 422) },
      },
    },
    (request) => agents.commit(actorOf(request), request.params.id, request.body),
  );
  app.post(
    '/api/v1/daqs/:id/files/offers',
    {
      schema: {
        tags,
        summary: 'Offer many file versions at once (small files): one answer per file, in order',
        params: DaqParams,
        body: OffersBody,
        response: { 200: OffersResponse, ...leaseErrors },
      },
    },
    (request) => agents.offers(actorOf(request), request.params.id, request.body),
  );
  app.post(
    '/api/v1/daqs/:id/files/commits',
    {
      schema: {
        tags,
        summary: 'Verify, put in place and catalog many sent files together: one result per file',
        params: DaqParams,
        body: CommitsBody,
        response: { 200: CommitsResponse, ...leaseErrors },
      },
    },
    (request) => agents.commits(actorOf(request), request.params.id, request.body),
  );
  app.post(
    '/api/v1/daqs/:id/files/catalogs',
    {
      schema: {
        tags,
        summary: 'Direct copy: verify and catalog many files the agent copied, together; one result per file',
        params: DaqParams,
        body: CommitsBody,
        response: { 200: CommitsResponse, ...leaseErrors },
      },
    },
    (request) => agents.catalogs(actorOf(request), request.params.id, request.body),
  );
  app.post(
    '/api/v1/daqs/:id/files/catalog',
    {
      schema: {
        tags,
        summary: 'Catalog a file the agent copied into mounted storage (re-read and verified first)',
        params: DaqParams,
        body: ChecksumsBody,
        response: { 200: TakenResponse, ...errorResponses(409, 422) },
      },
    },
    (request) => agents.catalogCopied(actorOf(request), request.params.id, request.body),
  );
  // The file body is streamed to disk as it arrives, never buffered: its own scope takes octet-streams.
  void app.register(async (plugin) => {
    const scope = plugin.withTypeProvider<TypeBoxTypeProvider>();
    scope.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));
    scope.put(
      '/api/v1/daqs/:id/files/content',
      {
        schema: {
          tags,
          summary: "Append bytes (application/octet-stream) to a file's staged copy, from `offset`",
          consumes: ['application/octet-stream'],
          params: DaqParams,
          querystring: ContentQuery,
          body: Type.Unsafe<Readable>({
            type: 'string',
            format: 'binary',
            description: 'the bytes from offset',
          }),
          response: { 200: ContentResponse, ...leaseErrors },
        },
        // The body schema documents the stream in OpenAPI; the stream itself is not JSON to validate.
        validatorCompiler: (route) => (route.httpPart === 'body' ? () => true : validatorCompiler(route)),
      },
      async (request, reply) => {
        try {
          return await agents.receive(actorOf(request), request.params.id, request.query, request.body);
        } catch (error) {
          // Refused before the whole body arrived (storage full, a newer send): the agent may still be
          // sending it. Closing the connection ends that send at once, instead of leaving the connection,
          // which the agent's next requests would queue behind, stuck until a timeout.
          if (!request.raw.complete) reply.header('connection', 'close');
          throw error;
        }
      },
    );
  });
}
