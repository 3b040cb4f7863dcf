// Serial-letter machines on a simulated clock: a recipient goes by email when it has an address,
// otherwise by fax, waits out temporary refusals durably, falls back to the other channel once when
// the campaign allows it, and records one outcome; a campaign hands recipients out window by
// window, stops handing out while paused or cancelled, and reports once every outcome is in.
import { describe, expect, it } from 'vitest';
import {
  campaignDeadline,
  campaignMachine,
  campaignRecipientDeadline,
  campaignRecipientMachine,
  campaignStatus,
  type CampaignRecipientInput,
} from '../../../actors/index.ts';
import { MachineDriver } from '../../helpers/machine-driver.ts';

const T0 = Date.UTC(2026, 10, 25, 9, 0);
const MINUTE = 60_000;

function recipient(row: Partial<CampaignRecipientInput> = {}) {
  return new MachineDriver(
    campaignRecipientMachine,
    {
      recipientId: 'cmp-1.2',
      campaignId: 'cmp-1',
      line: 2,
      position: 0,
      email: 'anna@example.com',
      fax: '+49301234567',
      fallback: false,
      createdAt: T0,
      ...row,
    },
    { effects: ['deliverLetter', 'recordOutcome'], deadline: campaignRecipientDeadline },
  );
}

describe('campaign recipient', () => {
  it('goes by email when the row has an address, and records the delivery', () => {
    const r = recipient();
    expect(r.last('deliverLetter')).toMatchObject({ channel: 'email', attempt: 1 });
    r.done('deliverLetter', { kind: 'delivered', detail: '250 queued', at: T0 + 1_000 });
    expect(r.last('recordOutcome')).toEqual({
      recipientId: 'cmp-1.2',
      campaignId: 'cmp-1',
      line: 2,
      position: 0,
      result: 'delivered',
      channel: 'email',
      detail: '250 queued',
    });
    r.done('recordOutcome');
    expect(r.snapshot.status).toBe('done');
  });

  it('goes by fax when the row has no address', () => {
    expect(recipient({ email: undefined }).last('deliverLetter')).toMatchObject({ channel: 'fax' });
  });

  it('waits out temporary refusals on a doubling schedule, then delivers', () => {
    const r = recipient();
    r.done('deliverLetter', { kind: 'temporary', reason: '451 greylisted', at: T0 });
    expect(r.deadline).toBe(T0 + MINUTE);
    r.tick(T0 + MINUTE - 1);
    expect(r.count('deliverLetter')).toBe(1);
    r.tick(T0 + MINUTE);
    r.done('deliverLetter', { kind: 'temporary', reason: '451 greylisted', at: T0 + MINUTE });
    expect(r.deadline).toBe(T0 + 3 * MINUTE);
    r.tick(T0 + 3 * MINUTE).done('deliverLetter', { kind: 'delivered', detail: 'ok', at: T0 + 3 * MINUTE });
    expect(r.count('deliverLetter')).toBe(3);
    expect(r.last('recordOutcome')).toMatchObject({ result: 'delivered', channel: 'email' });
  });

  it('falls back from a bounced email to fax once, when allowed', () => {
    const r = recipient({ fallback: true });
    r.done('deliverLetter', { kind: 'failed', reason: '550 no such user', at: T0 });
    expect(r.last('deliverLetter')).toMatchObject({ channel: 'fax', attempt: 1 });
    r.done('deliverLetter', { kind: 'failed', reason: 'busy, gave up after 12 dials', at: T0 + MINUTE });
    expect(r.count('deliverLetter')).toBe(2);
    expect(r.last('recordOutcome')).toMatchObject({
      result: 'failed',
      channel: 'fax',
      detail: 'busy, gave up after 12 dials',
    });
  });

  it('falls back from a failed fax to email, and from a crashed delivery too', () => {
    const r = recipient({ fallback: true, email: 'anna@example.com', fax: '+49301234567' });
    r.failed('deliverLetter', 'letter could not be rendered');
    expect(r.last('deliverLetter')).toMatchObject({ channel: 'fax' });
    r.done('deliverLetter', { kind: 'delivered', detail: 'fax sent', at: T0 });
    expect(r.last('recordOutcome')).toMatchObject({ result: 'delivered', channel: 'fax' });
  });

  it('records the failure when fallback is off or the row has no other channel', () => {
    const off = recipient({ fallback: false });
    off.done('deliverLetter', { kind: 'failed', reason: '550 no such user', at: T0 });
    expect(off.last('recordOutcome')).toMatchObject({ result: 'failed', channel: 'email' });
    const emailOnly = recipient({ fallback: true, fax: undefined });
    emailOnly.done('deliverLetter', { kind: 'failed', reason: '550 no such user', at: T0 });
    expect(emailOnly.count('deliverLetter')).toBe(1);
    expect(emailOnly.last('recordOutcome')).toMatchObject({ result: 'failed' });
  });

  it('gives up temporary refusals after a day', () => {
    const r = recipient();
    let now = T0;
    for (let attempt = 0; attempt < 40 && r.snapshot.value === 'delivering'; attempt++) {
      r.done('deliverLetter', { kind: 'temporary', reason: '451 later', at: now });
      if (r.deadline === undefined) break;
      now = r.deadline;
      r.tick(now);
    }
    expect(r.last('recordOutcome')).toMatchObject({ result: 'failed', detail: '451 later' });
    expect(now - T0).toBeLessThan(24 * 60 * MINUTE);
  });
});

function campaign() {
  return new MachineDriver(
    campaignMachine,
    { campaignId: 'cmp-1', createdAt: T0 },
    { effects: ['ingestRecipients', 'dispatchRecipients', 'sendReport'], deadline: campaignDeadline },
  );
}

const ingested = (accepted: number) => ({
  at: T0,
  rows: accepted + 1,
  accepted,
  invalid: 1,
  duplicates: 0,
  optedOut: 0,
});

describe('campaign', () => {
  it('hands recipients out round by round and reports once all are in', () => {
    const c = campaign();
    expect(c.last('ingestRecipients')).toEqual({ campaignId: 'cmp-1' });
    c.done('ingestRecipients', ingested(500));
    expect(campaignStatus(c.snapshot)).toBe('sending');
    c.tick(T0);
    expect(c.last('dispatchRecipients')).toEqual({ campaignId: 'cmp-1', cursor: 0, control: 'running' });
    c.done('dispatchRecipients', { at: T0 + 100, cursor: 200, finished: 0 });
    expect(c.deadline).toBe(T0 + 350);
    c.tick(T0 + 350).done('dispatchRecipients', { at: T0 + 400, cursor: 200, finished: 10 });
    expect(c.deadline).toBe(T0 + 1_400); // window full: wait longer
    c.tick(T0 + 1_400).done('dispatchRecipients', { at: T0 + 1_500, cursor: 500, finished: 480 });
    expect(c.count('sendReport')).toBe(0);
    c.tick(T0 + 1_750).done('dispatchRecipients', { at: T0 + 1_800, cursor: 500, finished: 500 });
    expect(c.last('sendReport')).toEqual({ campaignId: 'cmp-1', control: 'running', cursor: 500 });
    c.done('sendReport');
    expect(campaignStatus(c.snapshot)).toBe('finished');
  });

  it('hands out nothing while paused, and goes on after resume', () => {
    const c = campaign();
    c.done('ingestRecipients', ingested(10)).tick(T0);
    c.send({ type: 'pause' });
    c.done('dispatchRecipients', { at: T0, cursor: 0, finished: 0 });
    expect(campaignStatus(c.snapshot)).toBe('paused');
    c.tick(T0 + 1_000);
    expect(c.last('dispatchRecipients')).toMatchObject({ control: 'paused', cursor: 0 });
    c.send({ type: 'resume' }).done('dispatchRecipients', { at: T0 + 1_000, cursor: 0, finished: 0 });
    c.tick(T0 + 2_000);
    expect(c.last('dispatchRecipients')).toMatchObject({ control: 'running' });
  });

  it('on cancel stops handing out and reports when the recipients in flight are done', () => {
    const c = campaign();
    c.done('ingestRecipients', ingested(1_000)).tick(T0);
    c.done('dispatchRecipients', { at: T0, cursor: 200, finished: 150 });
    c.send({ type: 'cancel' });
    expect(c.count('sendReport')).toBe(0);
    c.tick(T0 + 1_000).done('dispatchRecipients', { at: T0 + 1_000, cursor: 200, finished: 200 });
    expect(c.last('sendReport')).toEqual({ campaignId: 'cmp-1', control: 'cancelled', cursor: 200 });
  });

  it('reports at once when no row was accepted, or when the list could not be read', () => {
    const empty = campaign().done('ingestRecipients', ingested(0));
    expect(empty.count('sendReport')).toBe(1);
    const unreadable = campaign().failed('ingestRecipients', 'the recipients file is not CSV');
    expect(unreadable.count('sendReport')).toBe(1);
    expect(unreadable.context.failure).toBe('the recipients file is not CSV');
  });
});
