/**
 * Admins define compute sites once; everyone sees which exist; secrets are sealed with a key outside the
 * database; and a job whose stage names a site it cannot run at is refused at its start, never run here.
 */
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { after, before, it } from 'node:test';
import { openSecrets } from '../src/sites/secret-box.ts';
import { tempDir } from './support/temp-dir.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { describeBackends } from './support/test-database.ts';
import { until } from './support/wait.ts';

const polaris = {
  name: 'polaris',
  kind: 'slurm',
  description: 'ALCF Polaris, through its login node',
  connection: { host: 'svc_aps@polaris.alcf.anl.gov:22', identityFile: '/etc/photon-dm/keys/polaris' },
  defaults: { queue: 'prod', account: 'APSDataProcessing', walltime: 900, nodes: 2, gpus: 8 },
  workDir: '/eagle/APSDataProcessing/photon-dm',
  staging: 'copy',
  maxRunning: 50,
};

const iriToken = 'iri-token-that-must-never-show-3f9a';
const perlmutter = {
  name: 'perlmutter',
  kind: 'iri',
  connection: { url: 'https://api.iri.nersc.gov/api/v2', resourceId: 'compute', apiVersion: 'v2' },
  secrets: { token: iriToken },
};

describeBackends('compute sites', (backend) => {
  let t: TestApp;
  let alice: string;

  before(async () => {
    t = await createTestApp(backend, { DM_STAGE_SWITCH: 'none' });
    alice = await t.user('alice');
  });
  after(() => t.close());

  it('lets admins add a site and shows everyone which sites exist, but only admins how to reach them', async () => {
    const added = await t.call('POST', '/api/v1/sites', { body: polaris });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    assert.deepEqual(added.body.defaults, polaris.defaults);
    assert.equal(added.body.connection.host, polaris.connection.host);
    assert.deepEqual(added.body.secretsSet, []);
    assert.equal(added.body.enabled, true);

    const listed = await t.call('GET', '/api/v1/sites');
    assert.deepEqual(
      listed.body.items.map((site: { name: string; builtIn: boolean }) => [site.name, site.builtIn]),
      [
        ['local', true],
        ['polaris', false],
      ],
    );

    const seen = await t.call('GET', '/api/v1/sites/polaris', { token: alice });
    assert.equal(seen.status, 200);
    assert.deepEqual(seen.body, {
      name: 'polaris',
      kind: 'slurm',
      description: polaris.description,
      enabled: true,
      builtIn: false,
    });
    const aliceList = await t.call('GET', '/api/v1/sites', { token: alice });
    assert.ok(aliceList.body.items.every((site: object) => !('connection' in site)));

    for (const [method, url, body] of [
      ['POST', '/api/v1/sites', { ...polaris, name: 'mine' }],
      ['PATCH', '/api/v1/sites/polaris', { enabled: false }],
      ['DELETE', '/api/v1/sites/polaris', undefined],
    ] as const) {
      const refused = await t.call(method, url, { token: alice, body });
      assert.equal(refused.status, 403, `${method} ${url}`);
    }
    assert.equal((await t.call('GET', '/api/v1/sites/polaris')).body.enabled, true);
  });

  it('keeps secrets sealed with a key outside the database, and never shows or logs them', async () => {
    const added = await t.call('POST', '/api/v1/sites', { body: perlmutter });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    assert.deepEqual(added.body.secretsSet, ['token']);
    assert.ok(!JSON.stringify(added.body).includes(iriToken));
    assert.ok(!JSON.stringify((await t.call('GET', '/api/v1/sites')).body).includes(iriToken));

    const row = await t.app.context.db
      .selectFrom('sites')
      .selectAll()
      .where('name', '=', 'perlmutter')
      .executeTakeFirstOrThrow();
    assert.ok(!JSON.stringify(row).includes(iriToken), 'the database holds no token in clear');
    assert.deepEqual(await openSecrets(t.dataDir, 'perlmutter', row.encrypted_secrets ?? ''), {
      token: iriToken,
    });
    assert.equal(statSync(`${t.dataDir}/site-secrets.key`).mode & 0o777, 0o600);

    // The database without the key file opens nothing; nor does the row moved to another site's name.
    const elsewhere = await tempDir('dm-no-key-');
    await assert.rejects(
      openSecrets(elsewhere.path, 'perlmutter', row.encrypted_secrets ?? ''),
      /site-secrets\.key is missing/,
    );
    await elsewhere.remove();
    await assert.rejects(openSecrets(t.dataDir, 'polaris', row.encrypted_secrets ?? ''), /do not open/);

    const audit = await t.app.context.db.selectFrom('audit_events').selectAll().execute();
    assert.ok(audit.some((event) => event.action === 'site.create' && event.target_name === 'perlmutter'));
    assert.ok(!JSON.stringify(audit).includes(iriToken), 'the audit log keeps no token');

    // A new token replaces the old; a change without secrets keeps them.
    const renewed = await t.call('PATCH', '/api/v1/sites/perlmutter', {
      body: { secrets: { token: 'renewed-token' }, description: 'NERSC' },
    });
    assert.equal(renewed.status, 200, JSON.stringify(renewed.body));
    const kept = await t.call('PATCH', '/api/v1/sites/perlmutter', { body: { maxRunning: 4 } });
    assert.deepEqual(kept.body.secretsSet, ['token']);
    const after = await t.app.context.db
      .selectFrom('sites')
      .select('encrypted_secrets')
      .where('name', '=', 'perlmutter')
      .executeTakeFirstOrThrow();
    assert.deepEqual(await openSecrets(t.dataDir, 'perlmutter', after.encrypted_secrets ?? ''), {
      token: 'renewed-token',
    });
  });

  it('refuses a site no adapter could use, naming every problem, and stores nothing', async () => {
    const before = await t.call('GET', '/api/v1/sites');
    const cases: Array<[object, number, RegExp]> = [
      [{ name: 'x', kind: 'iri' }, 400, /connection\/url.*connection\/resourceId.*secrets\/token/],
      [
        { name: 'x', kind: 'ssh', connection: { url: 'https://a.b' } },
        400,
        /connection\/host.*connection\/url/,
      ],
      [{ name: 'x', kind: 'pbs', connection: { identityFile: '/k' } }, 400, /identityFile: an SSH key needs/],
      [
        { name: 'x', kind: 'slurm', connection: { url: 'https://rest:6820' } },
        400,
        /slurmrestd .* needs a token/,
      ],
      [{ name: 'x', kind: 'slurm', staging: 'copy' }, 400, /copy goes over SSH/],
      [{ name: 'x', kind: 'local', secrets: { token: 't' } }, 400, /secrets\/token: a local site has no use/],
      [{ name: 'x', kind: 'cray' }, 400, /kind/],
      [{ name: 'x', kind: 'ssh', connection: { host: 'a b; rm -rf /' } }, 400, /host/],
      [{ name: 'x', kind: 'slurm', defaults: { walltime: -5 } }, 400, /walltime/],
      [{ name: 'x', kind: 'slurm', workDir: 'relative/dir' }, 400, /workDir/],
      [{ name: '../etc', kind: 'slurm' }, 400, /name/],
      [{ ...polaris }, 409, /already exists/],
      [{ name: 'local', kind: 'local' }, 409, /built-in/],
    ];
    for (const [body, status, message] of cases) {
      const refused = await t.call('POST', '/api/v1/sites', { body });
      assert.equal(refused.status, status, `${JSON.stringify(body)}: ${JSON.stringify(refused.body)}`);
      assert.match(refused.body.error.message, message);
    }
    const badChange = await t.call('PATCH', '/api/v1/sites/perlmutter', { body: { connection: {} } });
    assert.equal(badChange.status, 400);
    assert.match(badChange.body.error.message, /connection\/url: a iri site needs it/);
    assert.deepEqual((await t.call('GET', '/api/v1/sites')).body, before.body);
    assert.equal((await t.call('GET', '/api/v1/sites/nowhere')).status, 404);
    assert.equal((await t.call('DELETE', '/api/v1/sites/local')).status, 409);
  });

  it('refuses a job whose stage names a site it cannot run at, and runs one at a local site', async () => {
    const workflow = (name: string, site?: string) => ({
      name,
      owner: 'admin',
      stages: { '01-hello': { command: 'echo hello', ...(site !== undefined && { site }) } },
    });
    const start = async (name: string, site?: string) => {
      const saved = await t.call('POST', '/api/v1/workflows', { body: { definition: workflow(name, site) } });
      assert.ok([200, 201].includes(saved.status), JSON.stringify(saved.body));
      return await t.call('POST', '/api/v1/jobs', { body: { workflow: name, owner: 'admin' } });
    };
    const unknown = await start('at-aurora', 'aurora');
    assert.equal(unknown.status, 422, JSON.stringify(unknown.body));
    assert.equal(unknown.body.error.code, 'site_unusable');
    assert.match(unknown.body.error.message, /stage "01-hello" .*no site "aurora"/);
    assert.deepEqual(unknown.body.error.details, { stage: '01-hello', site: 'aurora' });

    const remote = await start('at-polaris', 'polaris');
    assert.equal(remote.status, 422);
    assert.match(remote.body.error.message, /polaris" is a slurm site/);

    assert.equal(
      (await t.call('POST', '/api/v1/sites', { body: { name: 'bench', kind: 'local' } })).status,
      201,
    );
    assert.equal((await t.call('PATCH', '/api/v1/sites/bench', { body: { enabled: false } })).status, 200);
    const disabled = await start('at-bench', 'bench');
    assert.equal(disabled.status, 422);
    assert.match(disabled.body.error.message, /site "bench" is disabled/);
    const jobs = await t.app.context.db.selectFrom('jobs').select('id').execute();
    assert.deepEqual(jobs, [], 'no refused job was recorded');

    assert.equal((await t.call('PATCH', '/api/v1/sites/bench', { body: { enabled: true } })).status, 200);
    const startedJobs = [
      await t.call('POST', '/api/v1/jobs', { body: { workflow: 'at-bench', owner: 'admin' } }),
      await start('default-site'),
      await start('at-local', 'local'),
    ];
    for (const started of startedJobs) {
      assert.equal(started.status, 201, JSON.stringify(started.body));
      const job = await until(
        async () => {
          const shown = (await t.call('GET', `/api/v1/jobs/${started.body.id}`)).body;
          return ['done', 'failed', 'aborted'].includes(shown.status) && shown;
        },
        { interval: 50, message: `job ${started.body.id} ends` },
      );
      assert.equal(job.status, 'done', JSON.stringify(job));
    }

    // A removed site refuses the jobs that name it again.
    assert.equal((await t.call('DELETE', '/api/v1/sites/bench')).status, 204);
    assert.equal((await t.call('GET', '/api/v1/sites/bench')).status, 404);
    const gone = await t.call('POST', '/api/v1/jobs', { body: { workflow: 'at-bench', owner: 'admin' } });
    assert.equal(gone.status, 422);
  });
});
