/**
 * The catalog reads what an HDF5/NeXus file says about itself. Every file here is a real HDF5 file written with
 * h5wasm, the library the reader uses, into a temp directory.
 *
 * Every `assert.ok` carries a message: without one, node:assert re-parses the tsx-compiled source to quote
 * the failing expression, which takes minutes on this file.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import h5wasm from 'h5wasm/node';
import { findHdf5Superblock, flattenForCatalog } from '../src/catalog/hdf5-metadata.ts';
import { createMetadataReader } from '../src/catalog/hdf5-reader.ts';
import { type TempDir, tempDir } from './support/temp-dir.ts';

/** A scan as a beamline writes it: NXentry with title and times, NXsample, NXinstrument and NXdata. */
function writeNexusScan(path: string): string {
  const file = new h5wasm.File(path, 'w');
  try {
    file.create_attribute('creator', 'photon-dm tests');
    const entry = file.create_group('entry');
    entry.create_attribute('NX_class', 'NXentry');
    entry.create_dataset({ name: 'title', data: 'My scan' });
    entry.create_dataset({ name: 'start_time', data: '2025-03-01T10:00:00Z' });
    entry.create_dataset({ name: 'end_time', data: '2025-03-01T10:05:00Z' });
    const sample = entry.create_group('sample');
    sample.create_attribute('NX_class', 'NXsample');
    sample.create_dataset({ name: 'name', data: 'lysozyme' });
    const temperature = sample.create_dataset({ name: 'temperature', data: 295.5 });
    temperature.create_attribute('units', 'K');
    const instrument = entry.create_group('instrument');
    instrument.create_attribute('NX_class', 'NXinstrument');
    // Some writers store names as one-element arrays.
    instrument.create_dataset({ name: 'name', data: ['8-ID-I'] });
    const data = entry.create_group('data');
    data.create_attribute('NX_class', 'NXdata');
    data.create_attribute('signal', 'data');
    const frames = new Uint16Array(10 * 256 * 256).map((_, i) => i % 4096);
    data.create_dataset({ name: 'data', data: frames, shape: [10, 256, 256], dtype: '<H' });
  } finally {
    file.close();
  }
  return path;
}

function writeFile(path: string, fill: (file: InstanceType<typeof h5wasm.File>) => void): string {
  const file = new h5wasm.File(path, 'w');
  try {
    fill(file);
  } finally {
    file.close();
  }
  return path;
}

/** What this process (every thread, the reader's worker too) has read so far: Linux's count in /proc. */
const bytesReadByThisProcess = () =>
  Number(/^rchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'))?.[1] ?? Number.NaN);

const openFiles = () =>
  readdirSync('/proc/self/fd').map((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      return 'closed meanwhile';
    }
  });

describe('reading the metadata an HDF5/NeXus file carries', () => {
  const reader = createMetadataReader();
  const readFileMetadata = reader.read;
  let dir: TempDir;
  let scanPath: string;
  before(async () => {
    await h5wasm.ready;
    dir = await tempDir('photon-dm-hdf5-');
    scanPath = writeNexusScan(join(dir.path, 'scan_0001.nxs'));
  });
  after(async () => {
    await reader.stop();
    await dir.remove();
  });

  it('reads a NeXus scan: fields and attributes as values, the detector frames by shape and type only', async () => {
    const meta = await readFileMetadata(scanPath);
    assert.deepEqual(meta, {
      format: 'hdf5',
      values: {
        '@creator': 'photon-dm tests',
        'entry@NX_class': 'NXentry',
        'entry/data@NX_class': 'NXdata',
        'entry/data@signal': 'data',
        'entry/end_time': '2025-03-01T10:05:00Z',
        'entry/instrument@NX_class': 'NXinstrument',
        'entry/instrument/name': '8-ID-I',
        'entry/sample@NX_class': 'NXsample',
        'entry/sample/name': 'lysozyme',
        'entry/sample/temperature': 295.5,
        'entry/sample/temperature@units': 'K',
        'entry/start_time': '2025-03-01T10:00:00Z',
        'entry/title': 'My scan',
      },
      datasets: { 'entry/data/data': { shape: [10, 256, 256], dtype: 'uint16' } },
      truncated: false,
    });
  });

  it('flattens it into the one map per file that the catalog indexes', async () => {
    const flat = flattenForCatalog(await readFileMetadata(scanPath));
    assert.equal(flat['entry/title'], 'My scan');
    assert.equal(flat['entry/data/data.shape'], '10x256x256');
    assert.equal(flat['entry/data/data.dtype'], 'uint16');
    assert.equal(flat['entry/data/data'], undefined);
  });

  it('finds the file after a 512-byte user block, as the HDF5 library does', async () => {
    const jammed = join(dir.path, 'with-user-block.h5');
    writeFileSync(jammed, Buffer.concat([Buffer.alloc(512, '#'), readFileSync(scanPath)]));
    assert.equal((await findHdf5Superblock(jammed))?.offset, 512);
    const meta = await readFileMetadata(jammed);
    assert.equal(meta.values['entry/title'], 'My scan');
    assert.equal(meta.error, undefined);
  });

  it('says "unknown" for a text file named .h5, and for a 4 GiB non-HDF5 file without reading it', async () => {
    const text = join(dir.path, 'notes.h5');
    writeFileSync(text, 'beamtime notes: HDF5 is great\n'.repeat(100));
    assert.deepEqual(await readFileMetadata(text), {
      format: 'unknown',
      values: {},
      datasets: {},
      truncated: false,
    });
    const huge = join(dir.path, 'detector.raw');
    writeFileSync(huge, 'RAW');
    truncateSync(huge, 4 * 1024 ** 3); // sparse: takes no disk, but reading it all would take seconds
    // Counted in bytes, not timed: a loaded machine may take a second for anything.
    const readBefore = bytesReadByThisProcess();
    assert.equal((await readFileMetadata(huge)).format, 'unknown');
    const read = bytesReadByThisProcess() - readBefore;
    assert.ok(read < 64 * 1024 ** 2, `read ${read} bytes of it`);
  });

  it('reports a half-written copy as truncated instead of throwing', async () => {
    const half = join(dir.path, 'half.nxs');
    const bytes = readFileSync(scanPath);
    writeFileSync(half, bytes.subarray(0, bytes.length / 2));
    const meta = await readFileMetadata(half);
    assert.equal(meta.format, 'hdf5');
    assert.match(meta.error ?? '', /truncated HDF5 file: \d+ bytes on disk/);
    assert.deepEqual(meta.values, {});
  });

  it('survives a file corrupted in the middle, and leaves no file open', async () => {
    const corrupted = join(dir.path, 'corrupted.nxs');
    const bytes = Buffer.from(readFileSync(scanPath));
    for (let i = 800; i < 4000; i += 1) bytes[i] = (i * 7919) % 251;
    writeFileSync(corrupted, bytes);
    const meta = await readFileMetadata(corrupted);
    assert.equal(meta.format, 'hdf5');
    assert.equal(typeof meta.error, 'string');
    assert.ok(!openFiles().includes(corrupted), 'the corrupted file is still open');
    // The reader is still usable afterwards.
    assert.equal((await readFileMetadata(scanPath)).values['entry/title'], 'My scan');
  });

  it('does not follow soft links, nor external links into other files', async () => {
    const other = writeFile(join(dir.path, 'other.h5'), (file) => {
      file.create_dataset({ name: 'secret', data: 'from another file' });
    });
    const linked = writeFile(join(dir.path, 'links.nxs'), (file) => {
      file.create_group('entry').create_dataset({ name: 'title', data: 'linked scan' });
      file.create_soft_link('/entry', 'alias');
      file.create_soft_link('/nowhere', 'dangling');
      file.create_external_link(other, '/secret', 'external');
      file.create_external_link(join(dir.path, 'missing.h5'), '/x', 'broken_external');
    });
    const meta = await readFileMetadata(linked);
    assert.deepEqual(meta, {
      format: 'hdf5',
      values: { 'entry/title': 'linked scan' },
      datasets: {},
      truncated: false,
    });
  });

  it('stops at maxEntries and says the result is truncated', async () => {
    const many = writeFile(join(dir.path, 'many.h5'), (file) => {
      for (let i = 0; i < 3000; i += 1) file.create_dataset({ name: `counter_${i}`, data: i });
    });
    // A generous time budget, so that only maxEntries stops the walk: on a loaded machine 2,000 entries can
    // take longer than the default 2 s, and the walk would stop early for the other reason.
    const patient = { timeBudgetMs: 120_000, giveUpAfterMs: 180_000 };
    const meta = await readFileMetadata(many, patient);
    assert.equal(meta.truncated, true);
    assert.equal(Object.keys(meta.values).length, 2000);
    const fewer = await readFileMetadata(many, { ...patient, maxEntries: 10 });
    assert.equal(Object.keys(fewer.values).length, 10);
    assert.equal((await readFileMetadata(many, { ...patient, maxEntries: 3000 })).truncated, false);
  });

  it('stops when its time budget is spent', async () => {
    const meta = await readFileMetadata(join(dir.path, 'many.h5'), { timeBudgetMs: 0 });
    assert.equal(meta.truncated, true);
    assert.ok(Object.keys(meta.values).length < 3000, 'read everything anyway');
  });

  it('does not enter groups deeper than maxDepth, but reads the rest', async () => {
    const deep = writeFile(join(dir.path, 'deep.h5'), (file) => {
      let group = file.create_group('level1');
      group.create_dataset({ name: 'value', data: 1 });
      for (let level = 2; level <= 5; level += 1) {
        group = group.create_group(`level${level}`);
        group.create_dataset({ name: 'value', data: level });
      }
      file.create_dataset({ name: 'z_after', data: 'still read' });
    });
    const meta = await readFileMetadata(deep, { maxDepth: 2 });
    assert.deepEqual(meta.values, { 'level1/value': 1, 'level1/level2/value': 2, z_after: 'still read' });
    assert.equal(meta.truncated, true);
  });

  it('keeps odd values short and JSON-safe: big integers, NaN, long strings, arrays, compound data', async () => {
    const odd = writeFile(join(dir.path, 'odd.h5'), (file) => {
      file.create_dataset({ name: 'frame_count', data: new BigInt64Array([5n]), shape: [], dtype: '<q' });
      file.create_dataset({
        name: 'huge_count',
        data: new BigUint64Array([2n ** 60n]),
        shape: [],
        dtype: '<Q',
      });
      file.create_dataset({ name: 'not_a_number', data: Number.NaN });
      file.create_dataset({ name: 'long_text', data: 'x'.repeat(5000) });
      const energies = file.create_dataset({ name: 'energies', data: new Float32Array([8, 8.5, 9, 9.5]) });
      energies.create_attribute('calibration', new Float64Array(100));
      file.create_dataset({ name: 'positions', data: new Float64Array(17) });
      const table = new Map<string, Int32Array | Float64Array>([
        ['id', new Int32Array([1, 2])],
        ['x', new Float64Array([0.5, 1.5])],
      ]);
      file.create_dataset({ name: 'table', data: table });
    });
    const meta = await readFileMetadata(odd, { maxStringLength: 100 });
    assert.equal(meta.values.frame_count, 5);
    assert.equal(meta.values.huge_count, '1152921504606846976');
    assert.equal(meta.values.not_a_number, 'NaN');
    assert.equal(meta.values.long_text, 'x'.repeat(100));
    assert.deepEqual(meta.values.energies, [8, 8.5, 9, 9.5]);
    assert.equal(meta.values['energies@calibration'], '(100 float64)');
    assert.equal(meta.values.table, '(compound)');
    assert.deepEqual(meta.datasets.positions, { shape: [17], dtype: 'float64' });
    assert.equal(meta.error, undefined);
  });

  it('gives up on a file that sends the HDF5 library into an endless loop, and reads the next one', async () => {
    const looping = join(dir.path, 'looping.nxs');
    const bytes = Buffer.from(readFileSync(scanPath));
    // A global heap collection (where variable-length strings live) whose size field is off by 0x7b bytes:
    // found by fuzzing, HDF5 2.0 never returns from reading a string in it.
    bytes[bytes.indexOf('GCOL') + 8] = 0x7b;
    writeFileSync(looping, bytes);
    const started = performance.now();
    const meta = await readFileMetadata(looping, { giveUpAfterMs: 1500 });
    // Well under the default (15 s), with room for a loaded machine: the limit given is the one kept.
    assert.ok(performance.now() - started < 10_000, 'waited longer than giveUpAfterMs');
    assert.equal(meta.format, 'hdf5');
    assert.match(meta.error ?? '', /gave up after 1500 ms/);
    assert.ok(!openFiles().includes(looping), 'the looping file is still open');
    assert.equal((await readFileMetadata(scanPath)).values['entry/title'], 'My scan');
  });

  it('gives each reader (each app) its own worker: one stuck on a file does not hold up another', {
    timeout: 300_000,
  }, async () => {
    const looping = join(dir.path, 'looping.nxs');
    const stuck = createMetadataReader();
    const other = createMetadataReader();
    try {
      let stuckAnswered = false;
      const stuckRead = stuck.read(looping, { giveUpAfterMs: 600_000 }).then((meta) => {
        stuckAnswered = true;
        return meta;
      });
      assert.equal((await other.read(scanPath)).values['entry/title'], 'My scan');
      assert.equal(stuckAnswered, false, 'the looping read is still going');
      // Stopping one reader ends its read in progress; the other keeps working.
      await stuck.stop();
      assert.match((await stuckRead).error ?? '', /the HDF5 reader stopped/);
      assert.equal((await other.read(scanPath)).values['entry/title'], 'My scan');
    } finally {
      await stuck.stop();
      await other.stop();
    }
  });

  it('answers many concurrent callers each with their own file', async () => {
    const paths = [scanPath, join(dir.path, 'links.nxs'), join(dir.path, 'notes.h5'), scanPath];
    const one = await Promise.all(paths.map((path) => readFileMetadata(path)));
    const another = [];
    for (const path of paths) another.push(await readFileMetadata(path));
    assert.deepEqual(one, another);
  });

  // The reader worker shares the process's RSS, and its WASM heap never shrinks: a reader that loaded the
  // data would show it here.
  it('reads the shape of a 500 MB dataset without loading it', async () => {
    const large = writeFile(join(dir.path, 'large.h5'), (file) => {
      const slab = new Uint16Array(20 * 256 * 256).fill(7);
      const frames = file.create_dataset({
        name: 'frames',
        data: slab,
        shape: [20, 256, 256],
        dtype: '<H',
        maxshape: [4000, 256, 256],
        chunks: [20, 256, 256],
      });
      frames.resize([4000, 256, 256]);
      for (let start = 20; start < 4000; start += 20) frames.write_slice([[start, start + 20]], slab);
    });
    const datasetBytes = 4000 * 256 * 256 * 2;
    assert.ok(statSync(large).size > datasetBytes, 'the data was not all written');
    const rssBefore = process.memoryUsage().rss;
    const meta = await readFileMetadata(large);
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    assert.deepEqual(meta.datasets.frames, { shape: [4000, 256, 256], dtype: 'uint16' });
    assert.ok(rssGrowth < datasetBytes / 10, `RSS grew by ${rssGrowth} bytes`);
  });
});
