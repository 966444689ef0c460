import { actorOf } from '../http/actor.ts';
import { errorResponses } from '../http/error-responses.ts';
import type { HttpServer } from '../http/server.ts';
import { Page } from '../paging/pages.ts';
import {
  Job,
  JobListQuery,
  JobLog,
  JobLogQuery,
  JobParams,
  ResubmitBody,
  StartEachFileBody,
  StartedJobs,
  StartJobBody,
} from './schemas.ts';
import type { JobService } from './service.ts';

export function registerJobRoutes(app: HttpServer, jobs: JobService): void {
  const tags = ['jobs'];
  app.post(
    '/api/v1/jobs',
    {
      schema: {
        tags,
        summary: 'Start a processing job (APS dm-start-processing-job); no input file is required',
        body: StartJobBody,
        response: { 201: Job, ...errorResponses(409, 422) },
      },
    },
    async (request, reply) => reply.status(201).send(await jobs.start(actorOf(request), request.body)),
  );
  app.post(
    '/api/v1/jobs/each-file',
    {
      schema: {
        tags,
        summary: 'Start one job per cataloged file that matches',
        body: StartEachFileBody,
        response: { 201: StartedJobs, ...errorResponses(409, 422) },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await jobs.startEachFile(actorOf(request), request.body)),
  );
  app.get(
    '/api/v1/jobs',
    {
      schema: {
        tags,
        summary: 'List jobs, newest first',
        querystring: JobListQuery,
        response: { 200: Page(Job) },
      },
    },
    (request) => jobs.list(actorOf(request), request.query),
  );
  app.get(
    '/api/v1/jobs/:id',
    { schema: { tags, summary: 'A job with its stages', params: JobParams, response: { 200: Job } } },
    (request) => jobs.show(actorOf(request), request.params.id),
  );
  app.post(
    '/api/v1/jobs/:id/stop',
    {
      schema: {
        tags,
        summary: "Stop a job: its running stage's process group is killed and the job ends aborted",
        params: JobParams,
        response: { 200: Job, ...errorResponses(409) },
      },
    },
    (request) => jobs.stop(actorOf(request), request.params.id),
  );
  app.post(
    '/api/v1/jobs/:id/resubmit',
    {
      schema: {
        tags,
        summary: 'Start a new job like this one, optionally from one of its stages',
        params: JobParams,
        body: ResubmitBody,
        response: { 201: Job, ...errorResponses(409, 422) },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(await jobs.resubmit(actorOf(request), request.params.id, request.body.fromStage)),
  );
  app.get(
    '/api/v1/jobs/:id/logs',
    {
      schema: {
        tags,
        summary: "The job's log, read on from a cursor (call again with the returned cursor to follow)",
        params: JobParams,
        querystring: JobLogQuery,
        response: { 200: JobLog },
      },
    },
    (request) => jobs.logs(actorOf(request), request.params.id, request.query),
  );
}
