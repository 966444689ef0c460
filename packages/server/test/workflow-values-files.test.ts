/**
 * File names are data: files named `scan;id;.dat`, `scan$(id -u).dat`, ``scan`whoami`.dat``, with quotes,
 * newlines or `*`, reach a workflow's `$filePath` and `$fileName` through an upload and through a DAQ
 * started with a workflow (which runs one job per file with no one watching), and the stage sees each name
 * exactly while no command in a name runs. The same for the experiment's fields under a storage root whose
 * path holds metacharacters.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, before, it } from 'node:test';
import {
  assertNothingRan,
  finishedJob,
  hostileValues,
  markerName,
  openDirectory,
  startJob,
  upsertWorkflow,
} from './support/hostile-values.ts';
import { type TempDir, tempDir } from './support/temp-dir.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { describeBackends } from './support/test-database.ts';
import { readUntil, until } from './support/wait.ts';

const fileNames = hostileValues({ newlines: true }).filter((name) => name !== '' && name !== '-n');

describeBackends('file names and experiment fields reach stages as data', (backend) => {
  let t: TestApp;
  let scratch: TempDir;
  let out: string;

  before(async () => {
    t = await createTestApp(backend);
    scratch = await tempDir('dm-values-files-');
    openDirectory(scratch.path);
    out = openDirectory(join(scratch.path, 'out'));
    await t.station('8-ID-I');
    await t.experiment('names-upload', '8-ID-I');
    await t.experiment('names-daq', '8-ID-I');
    await upsertWorkflow(t, {
      name: 'file-names',
      owner: 'admin',
      stages: {
        print: {
          command: `printf %s $filePath > $id.path; printf %s "$fileName" > "$id.name"; printf %s '$fileName' > $id.quoted`,
          workingDir: out,
        },
      },
    });
  });
  after(async () => {
    await t.close();
    await scratch.remove();
  });

  /** Every job saw its own file's path and name, exactly, in each quoting. */
  function assertSawTheirFiles(
    jobs: { id: number; status: string; filePath: string; errorMessage: string }[],
  ) {
    for (const job of jobs) {
      assert.equal(job.status, 'done', job.errorMessage);
      assert.equal(readFileSync(join(out, `${job.id}.path`), 'utf8'), job.filePath);
      assert.equal(readFileSync(join(out, `${job.id}.name`), 'utf8'), basename(job.filePath));
      assert.equal(readFileSync(join(out, `${job.id}.quoted`), 'utf8'), basename(job.filePath));
    }
    assert.deepEqual(jobs.map((job) => basename(job.filePath)).sort(), [...fileNames].sort());
    assertNothingRan(out);
  }

  it('passes the names of uploaded files exactly to the jobs run on them', async () => {
    const beamline = await tempDir('dm-hostile-beamline-');
    try {
      for (const name of fileNames) writeFileSync(join(beamline.path, name), `data of ${name}`);
      const started = await t.call('POST', '/api/v1/uploads', {
        body: { experiment: 'names-upload', dataDirectory: beamline.path },
      });
      assert.equal(started.status, 201, JSON.stringify(started.body));
      const upload = await readUntil(
        async () => (await t.call('GET', `/api/v1/uploads/${started.body.id}`)).body,
        (upload) => ['done', 'failed', 'aborted'].includes(upload.status),
        { timeout: 60_000, interval: 50 },
      );
      assert.equal(upload.status, 'done', JSON.stringify(upload));
      assert.equal(upload.nProcessedFiles, fileNames.length);
      const each = await t.call('POST', '/api/v1/jobs/each-file', {
        body: { workflow: 'file-names', experiment: 'names-upload' },
      });
      assert.equal(each.status, 201, JSON.stringify(each.body));
      assert.equal(each.body.count, fileNames.length);
      const jobs = [];
      for (const id of each.body.jobIds) jobs.push(await finishedJob(t, id));
      assertSawTheirFiles(jobs);
    } finally {
      await beamline.remove();
    }
  });

  it('passes the names of files a DAQ takes exactly to the jobs its workflow runs', async () => {
    const detector = await tempDir('dm-hostile-detector-');
    try {
      const started = await t.call('POST', '/api/v1/daqs', {
        body: {
          experiment: 'names-daq',
          dataDirectory: detector.path,
          settleSeconds: 0,
          workflow: 'file-names',
        },
      });
      assert.equal(started.status, 201, JSON.stringify(started.body));
      for (const name of fileNames) writeFileSync(join(detector.path, name), `frame ${name}`);
      let jobIds: number[] = [];
      await until(
        async () => {
          const requests = await t.app.context.db
            .selectFrom('processing_requests')
            .select(['job_id', 'status', 'error'])
            .where('origin_id', '=', started.body.id)
            .execute();
          for (const request of requests) assert.notEqual(request.status, 'failed', String(request.error));
          jobIds = requests.flatMap((request) => (request.job_id === null ? [] : [request.job_id]));
          return jobIds.length >= fileNames.length;
        },
        { timeout: 120_000, interval: 100, message: 'a job started for every file' },
      );
      const jobs = [];
      for (const id of jobIds) jobs.push(await finishedJob(t, id));
      assertSawTheirFiles(jobs);
      await t.call('POST', `/api/v1/daqs/${started.body.id}/stop`);
    } finally {
      await detector.remove();
    }
  });

  it("passes an experiment's fields exactly, under a storage root full of metacharacters", async () => {
    const root = join(scratch.path, `storage root;$(touch ${markerName}) 'x' "y" \`id\` *`);
    const odd = await createTestApp(backend, { DM_STORAGE_ROOT: root });
    try {
      await odd.station('2-BM');
      const experiment = await odd.experiment('tomo-1.a_b-c', '2-BM');
      const directory = openDirectory(join(scratch.path, 'fields'));
      await upsertWorkflow(odd, {
        name: 'fields',
        owner: 'admin',
        stages: {
          print: {
            command:
              "printf '%s\\0' $experimentName $dataDirectory \"$analysisDirectory\" '$storageDirectory' $owner > fields",
            workingDir: directory,
          },
        },
      });
      const job = await finishedJob(
        odd,
        await startJob(odd, { workflow: 'fields', experiment: 'tomo-1.a_b-c' }),
      );
      assert.equal(job.status, 'done', job.errorMessage);
      assert.deepEqual(readFileSync(join(directory, 'fields'), 'utf8').split('\0').slice(0, -1), [
        'tomo-1.a_b-c',
        experiment.dataDirectory,
        experiment.analysisDirectory,
        experiment.storageDirectory,
        'admin',
      ]);
      assert.ok(experiment.dataDirectory.startsWith(root), experiment.dataDirectory);
      assertNothingRan(directory);
    } finally {
      await odd.close();
    }
  });
});
