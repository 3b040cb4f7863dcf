// The outbound fax job's whole retry policy on a simulated clock: every scenario is a sequence of
// events the runtime and the call handler would send, and the assertions are what the sender sees
// (status, when the next dial happens, which page it starts from, the final report).
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRY_POLICY,
  HostEvent,
  outboundFaxJobDeadline,
  outboundFaxJobMachine,
  outboundFaxJobStatus,
  type CallOutcome,
  type OutboundFaxJobEvent,
  type OutboundFaxJobInput,
} from '../../../actors/index.ts';
import { defineMachine, reachableStates, roundTrip } from '../../../cluster/index.ts';
import { MachineDriver } from '../../helpers/machine-driver.ts';

const T0 = Date.UTC(2026, 10, 22, 9, 0);
const MINUTE = 60_000;

/** An outbound job as the host and the call handler drive it. */
class JobDriver extends MachineDriver<typeof outboundFaxJobMachine> {
  constructor(input: Partial<OutboundFaxJobInput> = {}) {
    super(
      outboundFaxJobMachine,
      { jobId: 'job-1', destination: '+49301234567', totalPages: 5, submittedAt: T0, ...input },
      { effects: ['placeCall', 'hangUp', 'reportStatus'], deadline: outboundFaxJobDeadline },
    );
  }

  get status(): string {
    return outboundFaxJobStatus(this.snapshot);
  }

  callEnds(outcome: CallOutcome): this {
    return this.done('placeCall', outcome);
  }

  confirm(...pages: number[]): this {
    this.send({ type: 'call.answered', remoteStationId: '+49 30 1234567' });
    for (const page of pages) this.send({ type: 'call.pageConfirmed', page });
    return this;
  }

  reported(): this {
    return this.done('reportStatus');
  }
}

describe('outbound fax job', () => {
  it('walks queued → dialing → ringing → sending → sent and reports once', () => {
    const job = new JobDriver();
    expect(job.status).toBe('queued');
    expect(job.deadline).toBe(T0);
    job.tick(T0);
    expect(job.status).toBe('dialing');
    expect(job.last('placeCall')).toMatchObject({
      attempt: 1,
      fromPage: 1,
      continuation: false,
      transport: 'auto',
      ecm: true,
    });
    job.send({ type: 'call.ringing' });
    expect(job.status).toBe('ringing');
    job.confirm(1, 2, 3, 4, 5);
    expect(job.status).toBe('sending');
    job.callEnds({ kind: 'completed', endedAt: T0 + 5 * MINUTE });
    expect(job.status).toBe('sent');
    expect(job.last('reportStatus')).toEqual({
      jobId: 'job-1',
      result: 'sent',
      pagesConfirmed: 5,
      totalPages: 5,
      dials: 1,
      remoteStationId: '+49 30 1234567',
      reason: undefined,
    });
    job.reported();
    expect(job.snapshot.status).toBe('done');
    expect(job.count('reportStatus')).toBe(1);
  });

  it('retries busy after 180 s and no answer after 300 s, and not a moment before', () => {
    const job = new JobDriver().tick(T0);
    job.callEnds({ kind: 'busy', endedAt: T0 + 10_000 });
    expect(job.status).toBe('willretry');
    expect(job.deadline).toBe(T0 + 10_000 + 180_000);
    job.tick(T0 + 100_000); // early timer: nothing happens
    expect(job.status).toBe('willretry');
    job.tick(T0 + 190_000);
    expect(job.status).toBe('dialing');
    job.callEnds({ kind: 'no-answer', endedAt: T0 + 250_000 });
    expect(job.deadline).toBe(T0 + 250_000 + 300_000);
  });

  it('honours a carrier Retry-After on congestion', () => {
    const job = new JobDriver()
      .tick(T0)
      .callEnds({ kind: 'congestion', retryAfterMs: 30_000, endedAt: T0 + 1_000 });
    expect(job.deadline).toBe(T0 + 31_000);
  });

  it('after a call dropped at page 2 of 5 resends from page 3 with a continuation cover, once each', () => {
    const job = new JobDriver().tick(T0).confirm(1, 2);
    job.callEnds({ kind: 'fax-failed', reason: 'call dropped', retryable: true, endedAt: T0 + 3 * MINUTE });
    expect(job.status).toBe('willretry');
    expect(job.deadline).toBe(T0 + 4 * MINUTE);
    job.tick(T0 + 4 * MINUTE);
    expect(job.last('placeCall')).toMatchObject({
      attempt: 2,
      fromPage: 3,
      totalPages: 5,
      continuation: true,
    });
    // A duplicate confirmation of an old page changes nothing.
    job.confirm(2, 3, 4, 5);
    job.callEnds({ kind: 'completed', endedAt: T0 + 8 * MINUTE });
    expect(job.status).toBe('sent');
    expect(job.snapshot.context.pagesConfirmed).toBe(5);
    // Pages each call sent: 1–5 on the first (2 confirmed), then 3–5: every page confirmed exactly once.
    expect(job.effects.filter((e) => e.type === 'placeCall').map((e) => e.params?.['fromPage'])).toEqual([
      1, 3,
    ]);
  });

  it('falls back in speed, then drops ECM, then gives up when the same page fails three times', () => {
    const job = new JobDriver().tick(T0).confirm(1);
    let now = T0;
    const failAgain = () => {
      now += 10 * MINUTE;
      job.callEnds({ kind: 'fax-failed', reason: 'T.30 DCN after page', retryable: true, endedAt: now });
    };
    failAgain(); // page 2 failed once (page 1 got through: progress)
    expect(job.snapshot.context).toMatchObject({ maxBitRate: 14_400, ecm: true });
    job.tick(now + MINUTE);
    failAgain(); // page 2 failed twice, no progress
    expect(job.snapshot.context).toMatchObject({ maxBitRate: 12_000, ecm: false });
    expect(job.snapshot.context.tries).toBe(2);
    job.tick(now + MINUTE);
    failAgain(); // third try: MaxTries 3
    expect(job.status).toBe('partial');
    expect(job.last('reportStatus')).toMatchObject({
      result: 'partial',
      pagesConfirmed: 1,
      reason: expect.stringMatching(/gave up after 3 tries|page 2 failed 3 times/) as unknown,
    });
  });

  it('gives up at once on a number the network refuses', () => {
    const job = new JobDriver().tick(T0);
    job.callEnds({ kind: 'rejected', sipStatus: 404, reason: 'number does not exist', endedAt: T0 + 2_000 });
    expect(job.status).toBe('failed');
    expect(job.last('reportStatus')).toMatchObject({
      reason: 'number does not exist (SIP 404)',
      dials: 1,
    });
  });

  it('stops after MaxDials busy signals', () => {
    const job = new JobDriver();
    let now = T0;
    for (let dial = 1; dial <= DEFAULT_RETRY_POLICY.maxDials; dial++) {
      job.tick(now);
      now += 1_000;
      job.callEnds({ kind: 'busy', endedAt: now });
      now = job.deadline ?? now;
    }
    expect(job.status).toBe('failed');
    expect(job.last('reportStatus')).toMatchObject({
      dials: 12,
      reason: 'busy; gave up after 12 dials',
    });
  });

  it('never schedules a retry past the kill time', () => {
    const job = new JobDriver({ policy: { ...DEFAULT_RETRY_POLICY, killAfterMs: 5 * MINUTE } }).tick(T0);
    job.callEnds({ kind: 'no-answer', endedAt: T0 + MINUTE }); // next would be T0 + 6 min
    expect(job.status).toBe('failed');
    expect(job.last('reportStatus')?.['reason']).toMatch(/no time left before the job's kill time/);
  });

  it('redials at once on audio when the far end refuses T.38', () => {
    const job = new JobDriver().tick(T0).callEnds({ kind: 't38-refused', endedAt: T0 + 5_000 });
    expect(job.deadline).toBe(T0 + 5_000);
    job.tick(T0 + 5_000);
    expect(job.last('placeCall')).toMatchObject({ attempt: 2, transport: 'audio' });
  });

  it('hangs up when cancelled during a call and reports cancelled', () => {
    const job = new JobDriver().tick(T0).send({ type: 'cancel' });
    expect(job.last('hangUp')).toEqual({ jobId: 'job-1', attempt: 1 });
    job.callEnds({ kind: 'cancelled', endedAt: T0 + 1_000 });
    expect(job.status).toBe('cancelled');
  });

  it('survives persist → JSON → restore in every reachable state', () => {
    const definition = defineMachine({
      name: 'outbound-fax-job',
      version: 1,
      logic: outboundFaxJobMachine,
      effects: ['placeCall', 'hangUp', 'reportStatus'],
      nextDeadline: outboundFaxJobDeadline,
    });
    const done = (output: CallOutcome): OutboundFaxJobEvent => ({
      type: HostEvent.effectDone,
      effect: 'placeCall',
      key: 'k',
      output,
    });
    const states = reachableStates(definition, {
      input: { jobId: 'job-1', destination: '+49301234567', totalPages: 2, submittedAt: T0 },
      events: [
        { type: HostEvent.timer, deadline: T0, now: T0 },
        { type: 'call.ringing' },
        { type: 'call.answered' },
        { type: 'call.pageConfirmed', page: 1 },
        { type: 'cancel' },
        done({ kind: 'completed', endedAt: T0 }),
        done({ kind: 'busy', endedAt: T0 }),
        done({ kind: 'fax-failed', reason: 'x', retryable: true, endedAt: T0 }),
        { type: HostEvent.effectDone, effect: 'reportStatus', key: 'r', output: null },
      ],
    });
    expect(states.length).toBeGreaterThan(10);
    for (const state of states)
      expect(roundTrip(definition, state.persisted)).toEqual(JSON.parse(JSON.stringify(state.persisted)));
  });
});
