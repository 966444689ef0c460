import { actorOf } from '../http/actor.ts';
import type { HttpServer } from '../http/server.ts';
import { Page } from '../paging/pages.ts';
import {
  UpsertWorkflowBody,
  Workflow,
  WorkflowListQuery,
  WorkflowParams,
  WorkflowProblems,
  WorkflowRevisionQuery,
} from './schemas.ts';
import type { WorkflowService } from './service.ts';

export function registerWorkflowRoutes(app: HttpServer, workflows: WorkflowService): void {
  const tags = ['workflows'];
  app.post(
    '/api/v1/workflows',
    {
      schema: {
        tags,
        summary: 'Create or update a workflow (APS dm-upsert-workflow); the previous revision is kept',
        body: UpsertWorkflowBody,
        response: { 200: Workflow, 201: Workflow },
      },
    },
    async (request, reply) => {
      const { created, workflow } = await workflows.upsert(actorOf(request), request.body);
      return reply.status(created ? 201 : 200).send(workflow);
    },
  );
  app.post(
    '/api/v1/workflows/validate',
    {
      schema: {
        tags,
        summary: 'Check a workflow without saving it: every problem, and the order its stages run in',
        body: UpsertWorkflowBody,
        response: { 200: WorkflowProblems },
      },
    },
    (request) => workflows.validate(actorOf(request), request.body),
  );
  app.get(
    '/api/v1/workflows',
    {
      schema: {
        tags,
        summary: 'List workflows by owner and name',
        querystring: WorkflowListQuery,
        response: { 200: Page(Workflow) },
      },
    },
    (request) => workflows.list(actorOf(request), request.query),
  );
  app.get(
    '/api/v1/workflows/:owner/:name',
    {
      schema: {
        tags,
        summary: 'A workflow, as it is now or at an earlier revision',
        params: WorkflowParams,
        querystring: WorkflowRevisionQuery,
        response: { 200: Workflow },
      },
    },
    (request) =>
      workflows.show(actorOf(request), request.params.owner, request.params.name, request.query.revision),
  );
  app.delete(
    '/api/v1/workflows/:owner/:name',
    {
      schema: {
        tags,
        summary: 'Delete a workflow (jobs keep the revision they ran)',
        params: WorkflowParams,
      },
    },
    async (request, reply) => {
      await workflows.remove(actorOf(request), request.params.owner, request.params.name);
      return reply.status(204).send();
    },
  );
}
