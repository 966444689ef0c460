/**
 * The jobs of a list, kept current from the event stream: a `job.status` or `job.stage` event about a job
 * reads that job again and puts it in its place (a new job that matches the filters appears at the top, a
 * job that no longer matches leaves), so nobody reloads the page to see a job move. The list is read again
 * when the stream connects (see useEvents).
 */
import type { Job, JobListQuery, LiveEvent } from '@photon-dm/client';
import { useEffect, useRef, useState } from 'react';
import { useEvents } from '../api/use-events.ts';
import { useSignedIn } from '../session/session.tsx';

export interface LiveJobs {
  jobs: Job[] | undefined;
  error: unknown;
}

const limit = 200;

export function useLiveJobs(filters: Omit<JobListQuery, 'limit' | 'cursor'>): LiveJobs {
  const { client } = useSignedIn();
  const [jobs, setJobs] = useState<Job[]>();
  const [error, setError] = useState<unknown>();
  const key = JSON.stringify(filters);
  const [generation, setGeneration] = useState(0);
  const listed = useRef(key);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for the filters, `generation` asks again
  useEffect(() => {
    let current = true;
    // New filters start from nothing; the same ones read again (the stream connected) keep their rows.
    if (listed.current !== key) {
      listed.current = key;
      setJobs(undefined);
    }
    client.jobs.list({ ...filters, limit }).then(
      (page) => {
        if (!current) return;
        setJobs(page.items);
        setError(undefined);
      },
      (failure: unknown) => {
        if (current) setError(failure);
      },
    );
    return () => {
      current = false;
    };
  }, [client, key, generation]);

  useEvents(
    { types: ['job.status', 'job.stage'] },
    (event: LiveEvent) => {
      const id = Number(event.data.subjectId);
      if (!Number.isInteger(id)) return;
      client.jobs.show(id).then(
        (job) => setJobs((list) => (list === undefined ? list : placeJob(list, job, matches(job, filters)))),
        () => undefined, // gone, or no longer visible: the next event or reload settles it
      );
    },
    () => setGeneration((n) => n + 1),
  );

  return { jobs, error };
}

/** The list with `job` replaced, added (newest first) or removed. */
export function placeJob(list: Job[], job: Job, belongs: boolean): Job[] {
  const rest = list.filter((other) => other.id !== job.id);
  if (!belongs) return rest;
  const next = [...rest, job].sort((a, b) => b.id - a.id);
  return next.slice(0, limit);
}

function matches(job: Job, filters: Omit<JobListQuery, 'limit' | 'cursor'>): boolean {
  if (filters.status !== undefined && job.status !== filters.status) return false;
  if (filters.workflow !== undefined && job.workflowName !== filters.workflow) return false;
  if (filters.owner !== undefined && job.owner !== filters.owner) return false;
  if (filters.experiment !== undefined && job.experimentName !== filters.experiment) return false;
  return true;
}
