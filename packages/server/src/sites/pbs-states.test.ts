/**
 * qstat's JSON as OpenPBS 23.06 prints it for `qstat -f -F json -x` (the layout of a real job from the
 * firecrest-v2 fixtures, shortened), and the states and ends a fake PBS cannot produce: holds, suspension,
 * PBS's own failures, older servers' walltime kills.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isoTime, keyOf, parseQstat, type QstatJob, statusOf } from './pbs-states.ts';

const printed = `
{
    "timestamp":1750368487,
    "pbs_version":"23.06.06",
    "pbs_server":"pbs",
    "Jobs":{
        "1.pbs":{
            "Job_Name":"pdm-42-a-1",
            "Job_Owner":"fireuser@pbs",
            "resources_used":{
                "cpupercent":0,
                "walltime":"00:00:10"
            },
            "job_state":"F",
            "queue":"workq",
            "ctime":"Thu Jun 19 21:27:51 2025",
            "exec_host":"nid001/0*8+nid002/0*8",
            "mtime":"Thu Jun 19 21:28:03 2025",
            "qtime":"Thu Jun 19 21:27:51 2025",
            "Resource_List":{
                "ncpus":1,
                "select":"1:ncpus=1",
                "walltime":"00:05:00"
            },
            "stime":"Thu Jun  5 21:27:52 2025",
            "substate":92,
            "Variable_List":{
                "PBS_O_WORKDIR":"/home/fireuser",
                "PDM_KEY":"pdm-42-a-1"
            },
            "comment":"Job run at Thu Jun 19 at 21:27 on (pbs:ncpus=1) and finished",
            "Exit_status":0,
            "obittime":"Thu Jun 19 21:28:03 2025",
            "history_timestamp":1750368483
        }
    }
}
`;

const job = (fields: QstatJob) => statusOf('7.pbs', { qtime: 'Thu Jun 19 21:27:51 2025', ...fields });

describe('qstat JSON', () => {
  it('should read a finished job as PBS prints it', () => {
    const jobs = parseQstat(printed);
    const finished = jobs.get('1.pbs');
    assert.ok(finished);
    assert.equal(keyOf(finished, 'PDM_KEY'), 'pdm-42-a-1');
    assert.deepEqual(statusOf('1.pbs', finished), {
      id: '1.pbs',
      state: 'done',
      queuedAt: '2025-06-19T21:27:51.000Z',
      startedAt: '2025-06-05T21:27:52.000Z',
      endedAt: '2025-06-19T21:28:03.000Z',
      nodes: 'nid001,nid002',
    });
  });

  it('should take a root without Jobs as no job, and refuse what is not qstat JSON', () => {
    assert.equal(parseQstat('{"timestamp":1,"pbs_version":"23.06.06","pbs_server":"pbs"}').size, 0);
    assert.throws(() => parseQstat('qstat: not json'), /no JSON/);
    assert.throws(() => parseQstat('{"Jobs":{}}'), /without pbs_version/);
  });

  it('should read ctime(3) text as UTC, and nothing else', () => {
    assert.equal(isoTime('Mon Jan  5 03:04:05 2026'), '2026-01-05T03:04:05.000Z');
    assert.equal(isoTime('1750368487'), undefined);
    assert.equal(isoTime(undefined), undefined);
  });
});

describe('PBS states', () => {
  it('should report waiting jobs as queued or held with PBS comment, and no start', () => {
    const comment = 'Not Running: Insufficient amount of resource: ngpus';
    assert.deepEqual(job({ job_state: 'Q', comment, stime: 'Thu Jun 19 21:27:52 2025' }), {
      id: '7.pbs',
      state: 'queued',
      reason: comment,
      queuedAt: '2025-06-19T21:27:51.000Z',
    });
    for (const letter of ['W', 'T']) assert.equal(job({ job_state: letter }).state, 'queued');
    for (const letter of ['H', 'S', 'U']) assert.equal(job({ job_state: letter }).state, 'held');
    for (const letter of ['R', 'E', 'B']) assert.equal(job({ job_state: letter }).state, 'running');
  });

  it("should give the ends PBS caused a reason, and the command's own failure none", () => {
    const ends: Array<[QstatJob, string, string | undefined]> = [
      [{ substate: 92, Exit_status: 0 }, 'done', undefined],
      [{ substate: 93, Exit_status: 3 }, 'failed', undefined],
      [{ substate: 91, Exit_status: 271 }, 'canceled', undefined],
      [{ substate: 91 }, 'canceled', undefined],
      [{ substate: 93, Exit_status: -29 }, 'failed', 'TimeLimit'],
      [{ substate: 93, Exit_status: -27 }, 'failed', 'OutOfMemory'],
      [{ substate: 93, Exit_status: -20 }, 'failed', 'NodeFail'],
      [{ substate: 93, Exit_status: -1 }, 'failed', 'ExecFailed'],
      [{ substate: 93, Exit_status: -99 }, 'failed', 'Exit_status -99'],
      [{ substate: 93, Exit_status: 265 }, 'failed', 'Signal 9'],
      [
        { substate: 93, Exit_status: 271, comment: 'Job run at x and exceeded resource walltime' },
        'failed',
        'TimeLimit',
      ],
    ];
    for (const [fields, state, reason] of ends) {
      const status = job({ job_state: 'F', ...fields });
      assert.deepEqual([status.state, status.reason], [state, reason], JSON.stringify(fields));
    }
    assert.equal(job({ job_state: 'X', substate: 92, Exit_status: 0 }).state, 'done');
    assert.deepEqual(
      [job({ job_state: 'M' }).state, job({ job_state: 'Z' }).reason],
      ['unknown', 'PBS state Z'],
    );
  });
});
