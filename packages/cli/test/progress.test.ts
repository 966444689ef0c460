import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Upload } from '@photon-dm/client';
import { parseAssignments } from '../src/commands/file.ts';
import { formatBytes, renderProgress } from '../src/progress.ts';

const upload = (overrides: Partial<Upload>): Upload => ({
  id: 1,
  experimentName: 'e',
  dataDirectory: '/d',
  destDirectory: '',
  reprocess: false,
  status: 'running',
  nFiles: 300,
  nProcessedFiles: 120,
  nSkippedFiles: 0,
  nProcessingErrors: 0,
  nBytes: 2_500_000_000,
  nProcessedBytes: 1_000_000_000,
  percentageComplete: 40,
  lastError: null,
  errors: [],
  createdBy: 'admin',
  submissionTime: '',
  startTime: null,
  endTime: null,
  runTime: null,
  ...overrides,
});

describe('upload progress', () => {
  it('shows the bar, files, bytes, rate and time left', () => {
    assert.equal(
      renderProgress(upload({}), 10_000),
      '[########............]   40%  120/300 files  1.0 GB/2.5 GB  100.0 MB/s  ETA 0:15',
    );
  });

  it('says how many errors there were, and has no ETA before any byte moved', () => {
    const line = renderProgress(
      upload({ nProcessedBytes: 0, nProcessedFiles: 0, nProcessingErrors: 2 }),
      1_000,
    );
    assert.match(line, /ETA -:-- {2}2 errors$/);
  });

  it('formats bytes in decimal units', () => {
    assert.deepEqual([0, 999, 1000, 1_500_000, 2e12].map(formatBytes), [
      '0 B',
      '999 B',
      '1.0 kB',
      '1.5 MB',
      '2.0 TB',
    ]);
  });
});

describe('metadata assignments', () => {
  it('keeps numbers and booleans, and removes a key given no value', () => {
    assert.deepEqual(parseAssignments(['sample=lysozyme', 'temperature=295.5', 'good=true', 'old=']), {
      sample: 'lysozyme',
      temperature: 295.5,
      good: true,
      old: null,
    });
  });

  it('refuses what is not key=value', () => {
    assert.throws(() => parseAssignments(['=x']), /not key=value/);
    assert.throws(() => parseAssignments(['novalue']), /not key=value/);
  });
});
