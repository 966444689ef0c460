/**
 * Verified transfer: every file a detector writes reaches storage intact or not at all, and never lands
 * outside the experiment's tree. Real files in temp dirs; a corrupted write and a busy writer come in
 * through the copy's test seam, and the full disk is a real 1 MiB tmpfs.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import {
  appendFile,
  mkdir,
  open,
  readdir,
  readFile,
  realpath,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { TransferError } from '../src/transfer/errors.ts';
import { relativeSourcePath, resolveInside } from '../src/transfer/safe-path.ts';
import { copyVerified, isPartialName, removePartialFiles } from '../src/transfer/verified-copy.ts';
import { type TempDir, tempDir } from './support/temp-dir.ts';

const execFileAsync = promisify(execFile);
let work: TempDir;
let scenarios = 0;
before(async () => {
  work = await tempDir('dm-transfer-');
});
after(() => work.remove());

/** A detector directory and an experiment's storage, fresh for each story. */
async function beamline() {
  const root = join(work.path, `beamline-${++scenarios}`);
  const detector = join(root, 'detector');
  const storage = join(root, 'storage');
  await mkdir(detector, { recursive: true });
  await mkdir(storage, { recursive: true });
  const write = async (name: string, content: Buffer | string) => {
    await writeFile(join(detector, name), content);
    return join(detector, name);
  };
  return { root, detector, storage, write };
}

async function checksums(path: string) {
  const md5 = createHash('md5');
  const sha256 = createHash('sha256');
  await pipeline(createReadStream(path), async (chunks: AsyncIterable<Buffer>) => {
    for await (const chunk of chunks) {
      md5.update(chunk);
      sha256.update(chunk);
    }
  });
  return { md5: md5.digest('hex'), sha256: sha256.digest('hex') };
}

async function leftovers(directory: string): Promise<string[]> {
  const names = await readdir(directory, { recursive: true });
  return names.filter((name) => isPartialName(name.split('/').pop() ?? name));
}

async function flipFirstByte(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  const byte = Buffer.alloc(1);
  await handle.read(byte, 0, 1, 0);
  byte[0] = (byte[0] ?? 0) ^ 0xff;
  await handle.write(byte, 0, 1, 0);
  await handle.close();
}

describe('verified copy into storage', () => {
  it('copies a frame with the MD5 and SHA-256 of what the detector wrote, and no temp file remains', async () => {
    const { storage, write } = await beamline();
    const source = await write('frame-0001.h5', randomBytes(3 * 1024 * 1024 + 17));
    const destination = join(storage, 'scan-1', 'frame-0001.h5');
    const result = await copyVerified({ source, destination, onExisting: 'skip-identical-else-refuse' });

    assert.equal(result.outcome, 'copied');
    assert.equal(result.attempts, 1);
    assert.equal(result.size, 3 * 1024 * 1024 + 17);
    assert.deepEqual({ md5: result.md5, sha256: result.sha256 }, await checksums(source));
    const { stdout } = await execFileAsync('md5sum', [destination]);
    assert.equal(stdout.split(' ')[0], result.md5, 'md5sum agrees');
    assert.ok((await readFile(destination)).equals(await readFile(source)));
    assert.ok(Math.abs(result.sourceMtimeMs - (await stat(source)).mtimeMs) < 0.001);
    assert.deepEqual(await leftovers(storage), []);
  });

  it('skips a file already in storage with the same content, writing nothing', async () => {
    const { storage, write } = await beamline();
    const source = await write('frame.h5', randomBytes(100_000));
    const destination = join(storage, 'frame.h5');
    const first = await copyVerified({ source, destination, onExisting: 'skip-identical-else-refuse' });
    const stored = await stat(destination, { bigint: true });

    const again = await copyVerified({ source, destination, onExisting: 'skip-identical-else-refuse' });
    assert.equal(again.outcome, 'identical');
    assert.equal(again.sha256, first.sha256);
    const after = await stat(destination, { bigint: true });
    assert.deepEqual(
      [after.ino, after.mtimeNs],
      [stored.ino, stored.mtimeNs],
      'the stored file is untouched',
    );
  });

  it('refuses a different file under the same name, and keeps the old version when told to overwrite', async () => {
    const { storage, write } = await beamline();
    const destination = join(storage, 'frame.h5');
    await writeFile(destination, 'first take');
    const source = await write('frame.h5', 'second tk');
    await writeFile(source, 'retake #2!'); // same size as the stored file: decided by checksum, not size

    await assert.rejects(copyVerified({ source, destination, onExisting: 'skip-identical-else-refuse' }), {
      name: 'DestinationConflictError',
      code: 'destination_conflict',
    });
    assert.equal(await readFile(destination, 'utf8'), 'first take');

    const oldVersionsDirectory = join(storage, 'system', 'old-versions');
    const result = await copyVerified({
      source,
      destination,
      onExisting: 'overwrite-keep-old',
      oldVersionsDirectory,
    });
    assert.equal(result.outcome, 'overwritten');
    assert.equal(await readFile(destination, 'utf8'), 'retake #2!');
    const kept = await readdir(oldVersionsDirectory);
    assert.equal(kept.length, 1);
    const [old] = kept;
    assert.ok(old);
    assert.match(old, /^frame\.h5\.\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z$/);
    assert.equal(await readFile(join(oldVersionsDirectory, old), 'utf8'), 'first take');
  });

  // Files under one chunk (4 MiB by default) are copied with one read; larger ones are streamed.
  for (const [how, highWaterMark] of [
    ['read at once', undefined],
    ['streamed', 64 * 1024],
  ] as const) {
    it(`detects a copy that reads back corrupted, and copies again (${how})`, async () => {
      const { storage, write } = await beamline();
      const source = await write('frame.h5', randomBytes(500_000));
      const destination = join(storage, 'frame.h5');
      let writes = 0;
      const afterWrite = async (tempPath: string) => {
        if (++writes === 1) await flipFirstByte(tempPath);
      };
      const result = await copyVerified({
        source,
        destination,
        onExisting: 'skip-identical-else-refuse',
        highWaterMark,
        hooks: { afterWrite },
      });
      assert.equal(result.attempts, 2);
      assert.ok((await readFile(destination)).equals(await readFile(source)));
      assert.deepEqual(await leftovers(storage), []);
    });
  }

  it('gives up with checksum_mismatch when every copy reads back corrupted, leaving nothing behind', async () => {
    const { storage, write } = await beamline();
    const source = await write('frame.h5', randomBytes(500_000));
    const destination = join(storage, 'frame.h5');
    const hooks = { afterWrite: flipFirstByte };
    const copy = copyVerified({ source, destination, onExisting: 'skip-identical-else-refuse', hooks });
    await assert.rejects(copy, (error: TransferError) => {
      assert.equal(error.name, 'ChecksumMismatchError');
      assert.equal(error.code, 'checksum_mismatch');
      assert.equal(error.details.attempts, 3);
      return true;
    });
    assert.deepEqual(await readdir(storage), []);
  });

  it('copies again a file that grows while it is being copied', async () => {
    const { storage, write } = await beamline();
    const source = await write('growing.h5', randomBytes(2_000_000));
    const destination = join(storage, 'growing.h5');
    const writer = appendInBackground(source);
    let writes = 0;
    // The first attempt has read and written the file; the detector is still writing, then it closes it.
    const afterWrite = async () => {
      if (++writes === 1) await writer.stopAfterOneMoreAppend();
    };
    const result = await copyVerified({
      source,
      destination,
      onExisting: 'skip-identical-else-refuse',
      highWaterMark: 256 * 1024,
      hooks: { afterWrite },
    }).finally(() => writer.stop());

    assert.equal(result.attempts, 2);
    assert.ok(writer.appends > 0);
    assert.equal(result.size, (await stat(source)).size);
    assert.equal(result.sha256, (await checksums(source)).sha256);
    assert.ok((await readFile(destination)).equals(await readFile(source)));
  });

  it('reports a file deleted before it was copied, without crashing', async () => {
    const { detector, storage } = await beamline();
    const source = join(detector, 'deleted-by-the-user.h5');
    await assert.rejects(
      copyVerified({ source, destination: join(storage, 'x.h5'), onExisting: 'skip-identical-else-refuse' }),
      { name: 'SourceMissingError', code: 'source_missing' },
    );
    assert.deepEqual(await readdir(storage), []);
  });

  it('removes its temp file when the transfer is aborted', async () => {
    const { storage, write } = await beamline();
    const source = await write('frame.h5', randomBytes(100_000));
    const controller = new AbortController();
    const hooks = { afterWrite: async () => controller.abort() };
    const copy = copyVerified({
      source,
      destination: join(storage, 'frame.h5'),
      onExisting: 'skip-identical-else-refuse',
      signal: controller.signal,
      hooks,
    });
    await assert.rejects(copy, { name: 'AbortError' });
    assert.deepEqual(await readdir(storage), []);
  });

  it('streams a 100 MB file with the right size and checksums', async () => {
    const { storage, detector } = await beamline();
    const source = join(detector, 'large.h5');
    const handle = await open(source, 'w');
    for (let i = 0; i < 100; i++) await handle.write(randomBytes(1024 * 1024));
    await handle.close();
    const result = await copyVerified({
      source,
      destination: join(storage, 'large.h5'),
      onExisting: 'skip-identical-else-refuse',
    });
    assert.equal(result.size, 100 * 1024 * 1024);
    assert.deepEqual({ md5: result.md5, sha256: result.sha256 }, await checksums(source));
    assert.deepEqual(await checksums(join(storage, 'large.h5')), await checksums(source));
  });

  describe('on a full disk', () => {
    let tiny = '';
    let skipReason: string | undefined;
    before(async () => {
      tiny = join(work.path, 'tiny-disk');
      await mkdir(tiny);
      await execFileAsync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', tiny]).catch((error: Error) => {
        skipReason = `cannot mount a 1 MiB tmpfs here (needs root): ${error.message.split('\n')[0]}`;
      });
    });
    after(async () => {
      if (skipReason === undefined) await execFileAsync('umount', [tiny]);
    });

    it('stops with no_space and leaves no temp file', async (t) => {
      if (skipReason !== undefined) return t.skip(skipReason);
      const { write } = await beamline();
      const source = await write('too-big.h5', randomBytes(2 * 1024 * 1024));
      await assert.rejects(
        copyVerified({
          source,
          destination: join(tiny, 'scan', 'too-big.h5'),
          onExisting: 'skip-identical-else-refuse',
        }),
        { name: 'NoSpaceError', code: 'no_space' },
      );
      assert.deepEqual(await readdir(join(tiny, 'scan')), []);
    });
  });
});

describe('paths that stay inside', () => {
  it('refuses relative paths that would lead out of the experiment', async () => {
    const { storage } = await beamline();
    for (const path of ['../x', '/etc/passwd', 'a/../../x', 'a//b', 'a/', '', './x', 'a\0b']) {
      await assert.rejects(
        resolveInside(storage, path),
        { name: 'PathOutsideRootError', code: 'path_outside_root' },
        path,
      );
    }
    assert.equal(
      await resolveInside(storage, 'scan-1/frame.h5'),
      join(await realpath(storage), 'scan-1/frame.h5'),
    );
  });

  it('refuses to write through a symlinked directory that points outside, writing nothing there', async () => {
    const { root, storage, write } = await beamline();
    const outside = join(root, 'outside');
    await mkdir(outside);
    await symlink(outside, join(storage, 'escape'));
    await mkdir(join(storage, 'real'));
    await symlink(join(storage, 'real'), join(storage, 'alias'));
    await symlink(join(root, 'nowhere'), join(storage, 'dangling'));

    for (const path of ['escape/x.h5', 'escape/deeper/x.h5', 'dangling/x.h5']) {
      await assert.rejects(resolveInside(storage, path), { code: 'path_outside_root' }, path);
    }
    const source = await write('frame.h5', 'frame');
    const destination = await resolveInside(storage, 'alias/scan/frame.h5');
    await copyVerified({ source, destination, onExisting: 'skip-identical-else-refuse' });
    assert.equal(await readFile(join(storage, 'real', 'scan', 'frame.h5'), 'utf8'), 'frame');
    assert.deepEqual(await readdir(outside), []);
  });

  it('takes only files inside the monitored directory, not what a symlink there points to', async () => {
    const { root, detector, write } = await beamline();
    await mkdir(join(detector, 'scan-1'));
    const frame = await write('scan-1/frame.h5', 'frame');
    assert.equal(await relativeSourcePath(detector, frame), 'scan-1/frame.h5');

    const secret = join(root, 'shadow');
    await writeFile(secret, 'root:$y$...');
    await symlink(secret, join(detector, 'innocent.h5'));
    await assert.rejects(relativeSourcePath(detector, join(detector, 'innocent.h5')), {
      code: 'path_outside_root',
    });
    await assert.rejects(relativeSourcePath(detector, secret), { code: 'path_outside_root' });
    await assert.rejects(relativeSourcePath(detector, join(detector, '..', 'shadow')), {
      code: 'path_outside_root',
    });
    await assert.rejects(relativeSourcePath(detector, join(detector, 'gone.h5')), { code: 'source_missing' });
  });
});

describe('after a crash', () => {
  it('removes the temp files of interrupted copies and nothing else', async () => {
    const { storage } = await beamline();
    await mkdir(join(storage, 'scan-1'));
    const partials = [
      join(storage, '.a.h5.dm-partial-0123456789ab'),
      join(storage, 'scan-1', '.b.h5.dm-partial-ba9876543210'),
    ];
    for (const path of partials) await writeFile(path, 'half');
    await writeFile(join(storage, 'scan-1', 'b.h5'), 'whole');
    await writeFile(join(storage, '.hidden'), 'kept');

    assert.deepEqual(await removePartialFiles(storage), partials.sort());
    assert.deepEqual((await readdir(storage, { recursive: true })).sort(), [
      '.hidden',
      'scan-1',
      'scan-1/b.h5',
    ]);
    assert.deepEqual(await removePartialFiles(join(storage, 'missing')), []);
  });
});

/** A detector still writing: appends a block every millisecond until stopped. */
function appendInBackground(path: string) {
  let running = true;
  const state = { appends: 0 };
  const done = (async () => {
    while (running) {
      await appendFile(path, randomBytes(4096));
      state.appends++;
      await sleep(1);
    }
  })();
  return {
    get appends() {
      return state.appends;
    },
    /** Waits for an append that surely falls inside the current attempt, then lets the file settle. */
    async stopAfterOneMoreAppend() {
      const seen = state.appends;
      while (state.appends === seen) await sleep(1);
      await this.stop();
    },
    async stop() {
      running = false;
      await done;
    },
  };
}
