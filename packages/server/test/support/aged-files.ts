/** Files with a chosen age, and the metrics that count what the sweep of old temp files removed. */
import assert from 'node:assert/strict';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { TestApp } from './test-app.ts';

const minuteMs = 60_000;

/**
 * Writes a file whose mtime lies `ageMinutes` in the past: the sweep's clock is moved without sleeping.
 *
 * @example
 * await fileAged(join(data, '.f.h5.dm-partial-0a1b2c3d4e5f'), 90);
 */
export async function fileAged(path: string, ageMinutes: number, content = 'half a frame'): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
  await ageFile(path, ageMinutes);
  return path;
}

export async function ageFile(path: string, ageMinutes: number): Promise<void> {
  const then = new Date(Date.now() - ageMinutes * minuteMs);
  await utimes(path, then, then);
}

/** The value of one series of the app's Prometheus metrics, e.g. `dm_x_total{kind="partial"}`. */
export async function metricValue(t: TestApp, series: string): Promise<number> {
  const text = (await t.call('GET', '/metrics', { token: null })).body as string;
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  assert.ok(line, `${series} in /metrics`);
  return Number(line.slice(series.length + 1));
}
