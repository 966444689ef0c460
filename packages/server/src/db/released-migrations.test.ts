/**
 * A released migration has run on databases we will never see again: editing it would leave them with a
 * schema the code no longer describes. This test holds the SHA-256 of every file in `migrations/` (the
 * numbered migrations and `migration.ts`, whose helpers they call) in `released-migrations.sha256`, written by
 * a person when a migration is released:
 *
 *   cd packages/server/src/db/migrations && sha256sum 0013-name.ts >> ../released-migrations.sha256
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const migrationsDirectory = join(import.meta.dirname, 'migrations');
const listFile = join(import.meta.dirname, 'released-migrations.sha256');

/** File name → hash, from `sha256sum` lines: `<64 hex digits>  <file name>`. */
function releasedHashes(): Map<string, string> {
  const hashes = new Map<string, string>();
  for (const line of readFileSync(listFile, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const match = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    assert.ok(match?.[1] !== undefined && match[2] !== undefined, `not a sha256sum line: ${line}`);
    hashes.set(match[2], match[1]);
  }
  return hashes;
}

function sha256(file: string): string {
  return createHash('sha256')
    .update(readFileSync(join(migrationsDirectory, file)))
    .digest('hex');
}

describe('released migrations', () => {
  const released = releasedHashes();
  const present = readdirSync(migrationsDirectory).filter((file) => file.endsWith('.ts'));

  it('are unchanged since their release', () => {
    for (const [file, hash] of released) {
      assert.ok(present.includes(file), `${file} was released and is gone: migrations are never removed`);
      assert.equal(
        sha256(file),
        hash,
        `${file} was edited after its release: migrations are never edited; add a new one (and restore ${file})`,
      );
    }
  });

  it('are all in the list of released migrations', () => {
    const unlisted = present.filter((file) => !released.has(file));
    assert.deepEqual(
      unlisted,
      [],
      'add the hash of each new migration to released-migrations.sha256 (see the top of this test); ' +
        'from then on it is never edited',
    );
  });
});
