// The pure step functions the host relies on: effects become intents with stable keys, other
// actions are not effects, a final state is 'done', and a snapshot that does not restore is refused.
import { describe, expect, it } from 'vitest';
import { createStepper, firstStep, nextStep, restoreSnapshot } from '../../../cluster/machine.ts';
import { reachableStates } from '../../../cluster/compat.ts';
import { HostEvent } from '../../../actors/index.ts';
import { probeJob, probeJobEvents } from '../../chaos/probe-job.ts';

describe('machine steps', () => {
  it('turns effect actions into intents keyed <actor>:<seq>:<n> and leaves pure actions alone', () => {
    const first = firstStep(probeJob, 'job-1', { jobId: 'job-1', notBefore: 50 });
    expect(first.effects).toEqual([]);
    expect(first.status).toBe('active');
    expect(probeJob.nextDeadline?.(first.snapshot)).toBe(50);

    const early = nextStep(
      probeJob,
      first.snapshot,
      { type: HostEvent.timer, deadline: 50, now: 49 } as { type: string },
      'job-1',
      2,
    );
    expect(early.snapshot.value).toBe('scheduled');
    expect(early.effects).toEqual([]);

    const due = nextStep(
      probeJob,
      first.snapshot,
      { type: HostEvent.timer, deadline: 50, now: 50 } as { type: string },
      'job-1',
      2,
    );
    expect(due.effects).toEqual([{ key: 'job-1:2:0', name: 'deliver', params: { jobId: 'job-1' } }]);
    expect(probeJob.nextDeadline?.(due.snapshot)).toBeUndefined();

    const done = nextStep(
      probeJob,
      due.snapshot,
      { type: HostEvent.effectDone, effect: 'deliver', key: 'job-1:2:0', output: 'r' } as { type: string },
      'job-1',
      3,
    );
    expect(done).toMatchObject({ status: 'done', effects: [] });
    expect(done.persisted).toMatchObject({ value: 'delivered', context: { receipt: 'r' } });
  });

  it('refuses a stored snapshot whose state no longer exists', () => {
    expect(() =>
      restoreSnapshot(probeJob, { value: 'renamed-state', context: {}, status: 'active' }),
    ).toThrow();
  });

  it('the per-actor stepper gives exactly what transition() gives, from every reachable state', () => {
    const events = probeJobEvents(50, 'job-1:2:0');
    const states = reachableStates(probeJob, { input: { jobId: 'job-1', notBefore: 50 }, events });
    const step = createStepper(probeJob, 'job-1');
    let compared = 0;
    for (const state of states) {
      for (const event of events) {
        const snapshot = restoreSnapshot(probeJob, state.persisted);
        const fast = step(snapshot, event, 7);
        const pure = nextStep(probeJob, snapshot, event, 'job-1', 7);
        expect({ persisted: fast.persisted, effects: fast.effects, status: fast.status }).toEqual({
          persisted: pure.persisted,
          effects: pure.effects,
          status: pure.status,
        });
        compared += 1;
      }
    }
    expect(compared).toBe(states.length * events.length);
  });
});
