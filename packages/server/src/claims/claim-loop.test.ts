/**
 * The claim loop on its own, with claims and runs the test answers by hand: what it does is observed
 * through events (a claim pass began, a run began), never by sleeping. The poll is an hour unless a test is
 * about polling, so anything that happens sooner was caused by a wake, an end or a stop.
 */
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { describe, it } from 'node:test';
import { type ClaimLoop, type ClaimLoopOptions, type RunContext, startClaimLoop } from './claim-loop.ts';

const hour = 3_600_000;

/** `promise`, or a failure after 5 s: what a wake or a stop sets off must not wait for the poll. */
async function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within 5 s`)), 5_000);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The arguments of the next `name` event. */
const next = (events: EventEmitter, name: string) => within(once(events, name), `no ${name} event`);

/** A turn of the event loop: whatever a wake or an end set off in promises has happened after it. */
const settled = () => new Promise((resolve) => setImmediate(resolve));

/**
 * Claims and runs answered by the test: each claim pass emits `claim` (its number) and waits for
 * `answer`; each run emits `run` (its item) and lasts until `finish(item)` or its `stopping` aborts.
 */
function harness(overrides: Partial<ClaimLoopOptions<number>> = {}) {
  const events = new EventEmitter();
  const answers: ((item: number | undefined) => void)[] = [];
  const finishes = new Map<number, () => void>();
  let passes = 0;
  // The loop's first pass begins as it starts.
  const firstClaim = next(events, 'claim');
  const loop: ClaimLoop = startClaimLoop<number>({
    name: 'test',
    logger: { error: () => {} },
    concurrency: Number.POSITIVE_INFINITY,
    pollMs: hour,
    claim: () =>
      new Promise((resolve) => {
        answers.push(resolve);
        events.emit('claim', ++passes);
      }),
    run: (item: number, context: RunContext) =>
      new Promise<void>((resolve) => {
        finishes.set(item, resolve);
        if (context.stopping.aborted) resolve();
        context.stopping.addEventListener('abort', () => resolve());
        events.emit('run', item, context);
      }),
    ...overrides,
  });
  return {
    events,
    loop,
    firstClaim,
    answer(item: number | undefined) {
      const resolve = answers.shift();
      assert.ok(resolve, 'a claim pass is waiting for its answer');
      resolve(item);
    },
    finish: (item: number) => finishes.get(item)?.(),
    /** Answers the claim pass under way with `item`; its run's context once it has begun. */
    async claimed(item: number): Promise<RunContext> {
      const started = next(events, 'run');
      this.answer(item);
      return ((await started) as [number, RunContext])[1];
    },
    /** Stops the loop, answering the claim pass that may be under way. */
    async stop() {
      const stopped = loop.stop();
      for (const resolve of answers.splice(0)) resolve(undefined);
      await stopped;
    },
  };
}

describe('claim loop', () => {
  it('claims again at once when woken while a claim pass runs', async () => {
    const t = harness();
    try {
      await t.firstClaim;
      const second = next(t.events, 'claim');
      t.answer(undefined); // nothing to claim: the loop sleeps
      t.loop.wake(); // a row inserted: it wakes
      assert.deepEqual(await second, [2]);
      // The row of this wake is inserted after pass 2 looked, and its wake comes while pass 2 still runs.
      t.loop.wake();
      const third = next(t.events, 'claim');
      t.answer(undefined);
      assert.deepEqual(await third, [3], 'the wake during pass 2 starts pass 3, not the hourly poll');
    } finally {
      await t.stop();
    }
  });

  it('stops at once when asked during a claim pass', async () => {
    const t = harness();
    await t.firstClaim;
    const stopped = t.loop.stop();
    t.answer(undefined);
    await within(stopped, 'stop() waits for the poll');
  });

  it('runs at most `concurrency` items and claims again when one ends', async () => {
    const t = harness({ concurrency: 2 });
    const order: string[] = [];
    t.events.on('claim', (pass: number) => order.push(`claim ${pass}`));
    t.events.on('run', (item: number) => order.push(`run ${item}`));
    try {
      await t.firstClaim;
      await t.claimed(1);
      await t.claimed(2);
      t.loop.wake(); // full: a wake claims nothing
      await settled();
      const third = next(t.events, 'claim');
      order.push('end 1');
      t.finish(1);
      await third;
      assert.deepEqual(order, ['run 1', 'claim 2', 'run 2', 'end 1', 'claim 3']);
    } finally {
      await t.stop();
    }
  });

  it('claims on its own every pollMs when nothing wakes it', async () => {
    const t = harness({ pollMs: 5 });
    try {
      await t.firstClaim;
      for (const pass of [2, 3]) {
        const claim = next(t.events, 'claim');
        t.answer(undefined);
        assert.deepEqual(await claim, [pass]);
      }
    } finally {
      await t.stop();
    }
  });

  it('logs a claim that fails and claims again at the next poll', async () => {
    let calls = 0;
    const events = new EventEmitter();
    const errors: unknown[] = [];
    const second = next(events, 'claim 2');
    const loop = startClaimLoop<number>({
      name: 'test',
      logger: { error: (object: unknown) => errors.push(object) },
      concurrency: 1,
      pollMs: 5,
      claim: async () => {
        events.emit(`claim ${++calls}`);
        if (calls === 1) throw new Error('database gone');
        return undefined;
      },
      run: async () => {},
    });
    try {
      await second;
      assert.equal(errors.length, 1);
    } finally {
      await loop.stop();
    }
  });

  it('renews the leases of the items running now', async () => {
    const renewed = new EventEmitter();
    const t = harness({
      renew: {
        everyMs: 5,
        leases: async (items, owner) => void renewed.emit('renew', items, owner),
      },
    });
    try {
      await t.firstClaim;
      const context = await t.claimed(7);
      const [items, owner] = await next(renewed, 'renew');
      assert.deepEqual(items, [7]);
      assert.equal(owner, context.owner);
    } finally {
      await t.stop();
    }
  });

  it('on stop aborts every run, waits for them, then drains the items that were running', async () => {
    const drained: unknown[] = [];
    let returned = 0;
    const t = harness({
      drain: async (items) => {
        drained.push(returned, items);
      },
      run: (item, context) =>
        new Promise<void>((resolve) => {
          context.stopping.addEventListener('abort', () =>
            setImmediate(() => {
              returned++;
              resolve();
            }),
          );
          t.events.emit('run', item, context);
        }),
    });
    await t.firstClaim;
    await t.claimed(1);
    await t.claimed(2);
    await t.stop();
    assert.deepEqual(drained, [2, [1, 2]], 'drained once both runs had returned');
  });

  it('aborts at once a run claimed by a pass that was under way when it stopped', async () => {
    const t = harness();
    await t.firstClaim;
    const stopped = t.loop.stop();
    const context = await t.claimed(5);
    assert.equal(context.stopping.aborted, true);
    await stopped;
  });
});
