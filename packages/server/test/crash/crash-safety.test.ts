/**
 * SIGKILL the real server while it creates and deletes experiments, many times. After each restart every
 * experiment has its directories and every experiment directory has its experiment.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { api } from '../support/server-process.ts';
import { serverStory } from '../support/server-story.ts';
import { describeBackends } from '../support/test-database.ts';

const rounds = 6;

describeBackends('crash safety', (backend) => {
  const story = serverStory(backend, 'dm-crash-');
  const start = () => story.start();

  async function checkConsistency(url: string, token: string) {
    const experiments: {
      name: string;
      experimentStation: string;
      storageState: string;
      dataDirectory: string;
    }[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: typeof experiments; nextCursor: string | null } } = await api(
        url,
        'GET',
        `/api/v1/experiments?limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
        token,
      );
      experiments.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    for (const experiment of experiments) {
      assert.equal(experiment.storageState, 'ready', `${experiment.name} finished after restart`);
      for (const sub of ['data', 'analysis', 'system']) {
        assert.ok(
          existsSync(
            join(story.dataDirectory, 'storage', experiment.experimentStation, experiment.name, sub),
          ),
          `${experiment.name}/${sub}`,
        );
      }
    }
    const known = new Set(experiments.map((e) => `${e.experimentStation}/${e.name}`));
    const storage = join(story.dataDirectory, 'storage');
    for (const station of existsSync(storage) ? readdirSync(storage) : []) {
      for (const name of readdirSync(join(storage, station))) {
        assert.ok(known.has(`${station}/${name}`), `directory ${station}/${name} belongs to an experiment`);
      }
    }
    return new Set(experiments.map((e) => e.name));
  }

  it('loses no experiment and leaves no orphan directory when killed at any moment', async () => {
    let server = await start();
    const token = await story.login(server);
    assert.equal((await api(server.url, 'POST', '/api/v1/stations', token, { name: '8-ID-I' })).status, 201);

    let acknowledged = 0;
    // Acknowledged creations whose deletion was not acknowledged: these must survive any crash.
    const mustExist = new Set<string>();
    for (let round = 0; round < rounds; round++) {
      const { url } = server;
      // Four writers create experiments and delete every third one until the process dies under them.
      const writers = Array.from({ length: 4 }, async (_, writer) => {
        for (let i = 0; ; i++) {
          const name = `r${round}-w${writer}-${i}`;
          try {
            const created = await api(url, 'POST', '/api/v1/experiments', token, { name, station: '8-ID-I' });
            if (created.status === 201) {
              acknowledged++;
              mustExist.add(name);
            }
            if (i % 3 === 2) {
              mustExist.delete(name);
              const deleted = await api(url, 'DELETE', `/api/v1/experiments/${name}`, token);
              assert.equal(deleted.status, 204);
            }
          } catch (error) {
            if (error instanceof assert.AssertionError) throw error;
            return; // the server is gone
          }
        }
      });
      // Kill mid-stream, whatever the machine's speed: once this round has acknowledged writes, at a random
      // moment while the writers keep going.
      const ackedBefore = acknowledged;
      const deadline = Date.now() + 30_000;
      while (acknowledged - ackedBefore < 3 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 10));
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 200));
      await server.kill();
      await Promise.all(writers);
      server = await start();
      const names = await checkConsistency(server.url, token);
      for (const name of mustExist) assert.ok(names.has(name), `acknowledged experiment ${name} survived`);
    }
    assert.ok(
      acknowledged >= rounds * 3,
      `every round acknowledged writes before the kill (${acknowledged} in all)`,
    );
    assert.equal(await server.stop(), 0, 'a clean stop exits 0');
  });
});
