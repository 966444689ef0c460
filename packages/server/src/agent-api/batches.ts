/**
 * A DAQ agent's small files in batches (`files/offers`, `files/commits`): one request answers for up to
 * `maxBatchFiles` files, and the files a batch commits are cataloged together (one transaction, shared with
 * the other batches committing at the same time), as the server's own DAQ takes a detector's frames. The
 * rules per file are those of the single-file endpoints (service.ts), and so are the answers: a
 * file's failure is its own. A batch whose input is bad (a path out of the experiment, a path twice) is
 * refused whole before anything changes.
 */
import type { Actor } from '../authorization/principal.ts';
import { findFiles } from '../catalog/file-records.ts';
import { createGroupCommit } from '../catalog/group-commit.ts';
import type { ServiceContext } from '../context.ts';
import type { FileRow } from '../db/tables.ts';
import { AppError, type FieldProblem, invalidField, validationFailed } from '../errors/app-error.ts';
import { defined } from '../errors/defined.ts';
import * as stagingRows from '../staging/rows.ts';
import type { CatalogRequest } from '../take/catalog-record.ts';
import { catalogStoredFiles, type StagedRequest, takeStagedFiles } from '../take/pipeline.ts';
import type { Copied, Leased, Staged } from './files.ts';
import type { CommitsBody, CommitsResponse, OffersBody, TakenResponse } from './schemas.ts';

type Version = stagingRows.FileVersion;

/** The single-file steps a batch is made of (service.ts). */
export interface AgentFileSteps {
  leased(actor: Actor, id: number, owner: string): Promise<Leased>;
  placeOf(leased: Leased, relativePath: string): Promise<{ path: string; source: string }>;
  /** `placeOf` without the walk on disk, for files already offered. */
  stagedPlaceOf(leased: Leased, relativePath: string): Promise<{ path: string; source: string }>;
  versionOf(daqId: number, path: string, body: { size: number; mtime: string }): Version;
  /** Bytes held of each version, by path, its staging made if new. */
  stageMany(leased: Leased, versions: readonly Version[]): Promise<Map<string, number>>;
  verifyStaged(leased: Leased, body: CommitsBody['files'][number]): Promise<Staged>;
  stagedRequest(leased: Leased, staged: Staged, existing: FileRow | undefined): Promise<StagedRequest>;
  refuseTake(staged: Staged, error: unknown): Promise<never>;
  takenOf(staged: Staged, outcome: TakenResponse['outcome']): TakenResponse;
  verifyCopied(leased: Leased, body: CommitsBody['files'][number]): Promise<Copied>;
  copiedRequest(leased: Leased, copied: Copied, existing: FileRow | undefined): CatalogRequest;
}

type Failure = Extract<CommitsResponse['results'][number], { status: 'failed' }>;

export function createAgentBatches(context: ServiceContext, steps: AgentFileSteps) {
  const { db } = context;
  // The catalog writes of batches committing at the same time (of any DAQ) share one transaction.
  const groupCommit = createGroupCommit(db);

  /** Every file's place in the experiment, or one 400 naming each bad path (nothing changed yet). */
  async function placesOf(
    leased: Leased,
    files: readonly { relativePath: string }[],
    placeOf = steps.placeOf,
  ) {
    const problems: FieldProblem[] = [];
    const seen = new Set<string>();
    const places = await Promise.all(
      files.map(async ({ relativePath }, index) => {
        const field = `files/${index}/relativePath`;
        if (seen.has(relativePath))
          problems.push({ field, message: `${relativePath} is in the batch twice` });
        seen.add(relativePath);
        try {
          return await placeOf(leased, relativePath);
        } catch (error) {
          if (!(error instanceof AppError) || error.code !== 'validation_failed') throw error;
          const [problem] = error.details.fields as FieldProblem[];
          problems.push({ field, message: problem?.message ?? error.message });
          return undefined;
        }
      }),
    );
    const [problem] = problems;
    if (problems.length === 1 && problem) throw invalidField(problem.field, problem.message);
    if (problems.length > 0) throw validationFailed(problems);
    return places as { path: string; source: string }[];
  }

  /** The answer of a file that could not be taken, as the single-file commit would have refused it. */
  function failure(relativePath: string, error: unknown): Failure {
    if (error instanceof AppError) return { relativePath, status: 'failed', error: error.toJSON().error };
    context.logger.error({ err: error, relativePath }, 'DAQ agent file not taken');
    return {
      relativePath,
      status: 'failed',
      error: { code: 'internal_error', message: 'the server could not take this file', details: {} },
    };
  }

  return {
    /** One answer per file: `skip` (the catalog has this version) or `send` from the bytes held. */
    async offers(actor: Actor, id: number, body: OffersBody) {
      const leased = await steps.leased(actor, id, body.owner);
      const places = await placesOf(leased, body.files);
      const existing = await findFiles(
        db,
        leased.experiment.id,
        places.map((place) => place.path),
      );
      const versions = body.files.map((file, index) =>
        steps.versionOf(id, defined(places[index], `place ${index}`).path, file),
      );
      const toSend = versions.filter((version) => {
        const record = existing.get(version.path);
        return record === undefined || record.size !== version.size || record.mtime !== version.mtime;
      });
      const held = await steps.stageMany(leased, toSend);
      const offers = body.files.map(({ relativePath }, index) => {
        const bytes = held.get(defined(versions[index], `version ${index}`).path);
        return bytes === undefined
          ? { relativePath, action: 'skip' as const, held: 0 }
          : { relativePath, action: 'send' as const, held: bytes };
      });
      return { offers };
    },

    /**
     * Verifies each sent file against its checksums, puts the good ones in place and catalogs them
     * together; one result per file, in order.
     */
    async commits(actor: Actor, id: number, body: CommitsBody): Promise<CommitsResponse> {
      const leased = await steps.leased(actor, id, body.owner);
      const places = await placesOf(leased, body.files, steps.stagedPlaceOf);
      const results: CommitsResponse['results'] = [];
      const verified = await Promise.allSettled(body.files.map((file) => steps.verifyStaged(leased, file)));
      const ready: { index: number; staged: Staged }[] = [];
      verified.forEach((outcome, index) => {
        const { relativePath } = defined(body.files[index], `file ${index}`);
        if (outcome.status === 'fulfilled') ready.push({ index, staged: outcome.value });
        else results[index] = failure(relativePath, outcome.reason);
      });
      const existing = await findFiles(
        db,
        leased.experiment.id,
        ready.map(({ index }) => defined(places[index], `place ${index}`).path),
      );
      const requests = await Promise.all(
        ready.map(({ staged }) => steps.stagedRequest(leased, staged, existing.get(staged.path))),
      );
      const taken = await takeStagedFiles(context, requests, { groupCommit });
      const done: number[] = [];
      for (const [position, { index, staged }] of ready.entries()) {
        const { relativePath } = defined(body.files[index], `file ${index}`);
        const outcome = defined(taken[position], `the outcome of file ${index}`);
        if (outcome.status === 'fulfilled') {
          done.push(staged.row.id);
          results[index] = { relativePath, status: 'taken', ...steps.takenOf(staged, outcome.value) };
        } else {
          results[index] = await steps
            .refuseTake(staged, outcome.reason)
            .catch((error: unknown) => failure(relativePath, error));
        }
      }
      await stagingRows.deleteStaging(db, done);
      return { results };
    },

    /**
     * Direct copy: many files the agent copied into mounted storage, each re-read and verified, the good
     * ones cataloged together; one result per file, in order.
     */
    async catalogs(actor: Actor, id: number, body: CommitsBody): Promise<CommitsResponse> {
      const leased = await steps.leased(actor, id, body.owner);
      await placesOf(leased, body.files);
      const results: CommitsResponse['results'] = [];
      const verified = await Promise.allSettled(body.files.map((file) => steps.verifyCopied(leased, file)));
      const ready: { index: number; copied: Copied }[] = [];
      verified.forEach((outcome, index) => {
        if (outcome.status === 'fulfilled') ready.push({ index, copied: outcome.value });
        else
          results[index] = failure(defined(body.files[index], `file ${index}`).relativePath, outcome.reason);
      });
      const existing = await findFiles(
        db,
        leased.experiment.id,
        ready.map(({ copied }) => copied.path),
      );
      const cataloged = await catalogStoredFiles(
        context,
        ready.map(({ copied }) => ({
          request: steps.copiedRequest(leased, copied, existing.get(copied.path)),
          destination: copied.destination,
          file: copied.file,
        })),
        { groupCommit },
      );
      for (const [position, { index, copied }] of ready.entries()) {
        const file = defined(body.files[index], `file ${index}`);
        const outcome = defined(cataloged[position], `the outcome of file ${index}`);
        results[index] =
          outcome.status === 'rejected'
            ? failure(file.relativePath, outcome.reason)
            : {
                relativePath: file.relativePath,
                status: 'taken',
                path: copied.path,
                outcome: 'copied',
                size: file.size,
                md5: file.md5,
                sha256: file.sha256,
              };
      }
      return { results };
    },
  };
}
