import { relative } from 'node:path';
import { auditWho, recordAudit } from '../audit/record.ts';
import { isStationManager } from '../authorization/policy.ts';
import type { Actor } from '../authorization/principal.ts';
import { findFile } from '../catalog/file-records.ts';
import type { CatalogService } from '../catalog/service.ts';
import { mayMove } from '../claims/transitions.ts';
import type { ServiceContext } from '../context.ts';
import { decodeJson } from '../db/profile.ts';
import { AppError, invalidField } from '../errors/app-error.ts';
import { defined } from '../errors/defined.ts';
import { canRead, loadReadable } from '../experiments/access.ts';
import { type ExperimentRecord, findExperimentById, visibleExperimentIds } from '../experiments/lookup.ts';
import { CursorShape, decodeCursor, splitPage } from '../paging/pages.ts';
import { pathsOf } from '../storage/experiment-tree.ts';
import { stageKeys, type WorkflowDefinition } from '../workflows/definition.ts';
import { findWorkflow } from '../workflows/lookup.ts';
import { mayRead, mayRun } from '../workflows/scope.ts';
import { workflowNotFound } from '../workflows/service.ts';
import { publishJobStatus } from './job-events.ts';
import { readJobLog } from './logs.ts';
import { presentJobs } from './present.ts';
import type { Job, JobListQuery, JobLogQuery, StartEachFileBody, StartJobBody } from './schemas.ts';
import { insertJobs, jobNotFound, type NewJob } from './start.ts';
import * as store from './store.ts';
import { jobTransitions } from './transitions.ts';

export interface JobServiceDeps {
  catalog: CatalogService;
  wakeRunner(): void;
  stopLocal(jobId: number): boolean;
}

export function createJobService(context: ServiceContext, deps: JobServiceDeps) {
  const { db, profile } = context;
  const present = async (id: number) =>
    defined(
      (await presentJobs(db, profile, [defined(await store.findJob(db, id), `job ${id}`)]))[0],
      `job ${id}`,
    );

  async function experimentOf(job: store.JobRecord): Promise<ExperimentRecord | undefined> {
    return job.experiment_id === null ? undefined : await findExperimentById(db, job.experiment_id);
  }

  /** Admins, whoever started it, and those who may read its experiment; to anyone else it does not exist. */
  async function readable(actor: Actor, id: number): Promise<store.JobRecord> {
    const job = await store.findJob(db, id);
    if (!job) throw jobNotFound(id);
    const { principal } = actor;
    if (principal.isAdmin || job.submitted_by === principal.userId) return job;
    const experiment = await experimentOf(job);
    if (experiment && (await canRead(db, actor, experiment))) return job;
    throw jobNotFound(id);
  }

  /** Stopping and resubmitting: whoever started it, admins, and the managers of its experiment's station. */
  async function manageable(actor: Actor, id: number): Promise<store.JobRecord> {
    const job = await readable(actor, id);
    if (actor.principal.isAdmin || job.submitted_by === actor.principal.userId) return job;
    const experiment = await experimentOf(job);
    if (experiment && (await isStationManager(db, actor.principal, experiment.station_id))) return job;
    throw new AppError(
      'forbidden',
      `only whoever started job ${id}, its station's managers and admins may change it`,
    );
  }

  /**
   * A workflow the actor may run on the experiment (workflows/scope.ts). One they may not read does not
   * exist for them; one they may read but not run there (a station's workflow without its experiment) is
   * refused, saying why.
   */
  async function runnableWorkflow(
    actor: Actor,
    name: string,
    owner: string,
    experiment: ExperimentRecord | null,
  ) {
    const workflow = await findWorkflow(db, owner, name);
    if (!workflow) throw workflowNotFound(owner, name);
    if (await mayRun(db, actor.principal, owner, experiment)) return workflow;
    if (!(await mayRead(db, actor.principal, owner))) throw workflowNotFound(owner, name);
    throw new AppError(
      'forbidden',
      `the workflows of "${owner}" run only on experiments of a station that lists that account` +
        (experiment ? `, not on "${experiment.name}"` : ': give `experiment`'),
      { owner, name },
    );
  }

  async function create(actor: Actor, jobs: NewJob[], action: string, details: Record<string, unknown>) {
    const now = context.now();
    const ids = await db.transaction().execute(async (trx) => {
      const inserted = await insertJobs(context, trx, jobs);
      await recordAudit(trx, auditWho(actor, now), {
        action,
        targetType: 'job',
        targetName: inserted.length === 1 ? String(inserted[0]) : `${inserted.length} jobs`,
        experimentName: jobs[0]?.experiment?.name ?? null,
        stationName: jobs[0]?.experiment?.station_name ?? null,
        details: { ...details, jobIds: inserted.slice(0, 100) },
      });
      return inserted;
    });
    return ids;
  }

  /**
   * The job as it was submitted, then the worker woken: woken first, it can claim the job (one statement)
   * before this reads it back, and the answer to a submission would be a job already running.
   */
  async function presentThenWake(id: number): Promise<Job> {
    const job = await present(id);
    deps.wakeRunner();
    return job;
  }

  return {
    /** APS dm-start-processing-job: no input file is required. */
    async start(actor: Actor, body: StartJobBody): Promise<Job> {
      if (body.filePath !== undefined && body.experiment === undefined)
        throw invalidField('filePath', 'a file is named within an experiment: give `experiment` too');
      const experiment =
        body.experiment === undefined ? null : await loadReadable(context, actor, body.experiment);
      const owner = body.owner ?? actor.principal.username;
      const workflow = await runnableWorkflow(actor, body.workflow, owner, experiment);
      if (experiment && body.filePath !== undefined && !(await findFile(db, experiment.id, body.filePath)))
        throw new AppError(
          'file_not_found',
          `no file "${body.filePath}" in experiment "${experiment.name}"`,
          {
            path: body.filePath,
          },
        );
      const [id] = await create(
        actor,
        [
          {
            workflow,
            experiment,
            filePath: body.filePath ?? null,
            arguments: body.arguments ?? {},
            submittedBy: actor.principal.userId,
            shareKey: `user:${actor.principal.username}`,
          },
        ],
        'job.start',
        { workflow: `${workflow.owner}/${workflow.name}`, revision: workflow.revision },
      );
      return await presentThenWake(defined(id, 'the new job'));
    },

    /** One job per cataloged file that matches, all in one transaction: all are started or none. */
    async startEachFile(actor: Actor, body: StartEachFileBody) {
      const experiment = await loadReadable(context, actor, body.experiment);
      const owner = body.owner ?? actor.principal.username;
      const workflow = await runnableWorkflow(actor, body.workflow, owner, experiment);
      const paths: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await deps.catalog.list(actor, experiment.name, {
          pathGlob: body.pathGlob,
          where: body.where,
          sort: 'path',
          limit: 1000,
          cursor,
        });
        paths.push(...page.items.map((file) => file.experimentFilePath));
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
      const jobs = paths.map((filePath) => ({
        workflow,
        experiment,
        filePath,
        arguments: body.arguments ?? {},
        submittedBy: actor.principal.userId,
        shareKey: `user:${actor.principal.username}`,
      }));
      const ids =
        jobs.length === 0
          ? []
          : await create(actor, jobs, 'job.start', { eachFile: true, count: jobs.length });
      deps.wakeRunner();
      return { count: ids.length, jobIds: ids };
    },

    async list(actor: Actor, query: JobListQuery) {
      const { principal } = actor;
      let experimentId: number | undefined;
      if (query.experiment !== undefined)
        experimentId = (await loadReadable(context, actor, query.experiment)).id;
      const rows = await store.listJobs(db, {
        visibleTo: principal.isAdmin
          ? undefined
          : { userId: principal.userId, experimentIds: await visibleExperimentIds(db, principal.userId) },
        status: query.status,
        ended: query.ended,
        workflow: query.workflow,
        owner: query.owner,
        experimentId,
        beforeId: decodeCursor(query.cursor, CursorShape.id),
        limit: query.limit + 1,
      });
      const page = splitPage(rows, query.limit, (row) => row.id);
      return { items: await presentJobs(db, profile, page.rows), nextCursor: page.nextCursor };
    },

    async show(actor: Actor, id: number): Promise<Job> {
      return defined((await presentJobs(db, profile, [await readable(actor, id)]))[0], `job ${id}`);
    },

    /** A pending job ends at once; a running one when its worker has killed the stage's process group. */
    async stop(actor: Actor, id: number): Promise<Job> {
      const job = await manageable(actor, id);
      const now = context.now();
      if (job.status === 'pending') {
        const aborted = await db.transaction().execute(async (trx) => {
          if (!(await store.endJob(trx, id, 'pending', 'aborted', now, 'stopped before it ran')))
            return false;
          await publishJobStatus(context, trx, job, {
            status: 'aborted',
            previousStatus: 'pending',
            errorMessage: 'stopped before it ran',
          });
          return true;
        });
        if (aborted) return await present(id);
      }
      if (!mayMove(jobTransitions, job.status, 'aborted'))
        throw new AppError(
          'invalid_transition',
          `job ${id} is ${job.status}; only pending or running jobs stop`,
        );
      await store.requestStop(db, id, now);
      deps.stopLocal(id);
      return await present(id);
    },

    /**
     * A new job with the original's arguments, on the workflow's current revision (the fix is usually in
     * the workflow). From a stage: the stages before it are not run again, and the variables they captured
     * are carried over.
     */
    async resubmit(actor: Actor, id: number, fromStage: string | undefined): Promise<Job> {
      const original = await manageable(actor, id);
      const experiment = (await experimentOf(original)) ?? null;
      // The resubmitter's own right to run it: a manager resubmitting a member's job needs it too.
      const workflow = await runnableWorkflow(actor, original.workflow_name, original.owner, experiment);
      const keys = stageKeys(decodeJson<WorkflowDefinition>(profile, workflow.definition));
      if (fromStage !== undefined && !keys.includes(fromStage))
        throw invalidField(
          'fromStage',
          `the workflow has no stage "${fromStage}" (stages: ${keys.join(', ')})`,
        );
      const variables: Record<string, string> = {};
      if (fromStage !== undefined) {
        const stages = await store.stagesOf(db, [id]);
        for (const key of keys.slice(0, keys.indexOf(fromStage))) {
          const stage = stages.find((s) => s.stage_key === key && s.status === 'done');
          if (stage) Object.assign(variables, decodeJson<Record<string, string>>(profile, stage.captured));
        }
      }
      const filePath =
        experiment && original.file_path !== null
          ? relative(pathsOf(context, experiment).dataDirectory, original.file_path)
          : null;
      const [newId] = await create(
        actor,
        [
          {
            workflow,
            experiment,
            filePath,
            arguments: decodeJson<Record<string, string>>(profile, original.arguments),
            variables,
            submittedBy: actor.principal.userId,
            shareKey: original.share_key,
            resubmittedFrom: id,
            fromStage,
          },
        ],
        'job.resubmit',
        { from: id, fromStage: fromStage ?? null },
      );
      return await presentThenWake(defined(newId, 'the new job'));
    },

    async logs(actor: Actor, id: number, query: JobLogQuery) {
      const job = await readable(actor, id);
      const processes = await store.processesOf(db, [id], query.stage);
      const ended = job.status === 'done' || job.status === 'failed' || job.status === 'aborted';
      return await readJobLog(processes, query.cursor, ended);
    },
  };
}

export type JobService = ReturnType<typeof createJobService>;
