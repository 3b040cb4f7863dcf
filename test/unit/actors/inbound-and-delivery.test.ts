// Fax2Email's two machines on a simulated clock: an inbound call keeps every confirmed page and
// hands over complete, partial or failed faxes; the email delivery sends once, waits out temporary
// refusals on a durable schedule, records permanent ones, and applies delete-after-delivery.
import { describe, expect, it } from 'vitest';
import {
  faxEmailDeliveryDeadline,
  faxEmailDeliveryMachine,
  inboundFaxCallMachine,
  type ReceiveOutcome,
  type SendOutcome,
} from '../../../actors/index.ts';
import { defineMachine, reachableStates, roundTrip } from '../../../cluster/index.ts';
import { MachineDriver } from '../../helpers/machine-driver.ts';

const T0 = Date.UTC(2026, 10, 22, 9, 0);
const MINUTE = 60_000;

function inboundCall() {
  return new MachineDriver(
    inboundFaxCallMachine,
    { faxId: 'fax-1', callId: 'call-1', did: '+49305550100', caller: '+4940123456', answeredAt: T0 },
    { effects: ['receiveFax', 'handOver'] },
  );
}

function delivery(deleteAfterDelivery = false) {
  return new MachineDriver(
    faxEmailDeliveryMachine,
    { faxId: 'fax-1', handedOverAt: T0, deleteAfterDelivery },
    {
      effects: ['buildDocuments', 'sendFaxEmail', 'deleteContent', 'recordResult'],
      deadline: faxEmailDeliveryDeadline,
    },
  );
}

describe('inbound fax call', () => {
  it('hands over a complete fax with what was negotiated and every page in order', () => {
    const call = inboundCall();
    expect(call.last('receiveFax')).toEqual({ faxId: 'fax-1', callId: 'call-1' });
    call.send({
      type: 'call.negotiated',
      transport: 't38',
      remoteStationId: '+49 40 123456',
      bitRate: 14_400,
      ecm: true,
    });
    call.send({ type: 'call.pageReceived', page: 1, objectId: 'fax-1:p1' });
    call.send({ type: 'call.pageReceived', page: 1, objectId: 'fax-1:p1' }); // re-announced: kept once
    call.send({ type: 'call.pageReceived', page: 2, objectId: 'fax-1:p2' });
    call.done('receiveFax', {
      kind: 'completed',
      result: 'OK',
      endedAt: T0 + 75_000,
    } satisfies ReceiveOutcome);
    expect(call.last('handOver')).toEqual({
      faxId: 'fax-1',
      did: '+49305550100',
      caller: '+4940123456',
      remoteStationId: '+49 40 123456',
      pages: ['fax-1:p1', 'fax-1:p2'],
      outcome: 'complete',
      durationMs: 75_000,
      bitRate: 14_400,
      ecm: true,
      result: 'OK',
      receivedAt: T0,
    });
    call.done('handOver');
    expect(call.snapshot.status).toBe('done');
  });

  it('delivers the confirmed pages as partial when the call is cut off, also after its node died', () => {
    const dropped = inboundCall();
    dropped.send({ type: 'call.pageReceived', page: 1, objectId: 'p1' });
    dropped.send({ type: 'call.pageReceived', page: 2, objectId: 'p2' });
    dropped.done('receiveFax', { kind: 'failed', result: 'T.30 DCN before page 3', endedAt: T0 + 90_000 });
    expect(dropped.last('handOver')).toMatchObject({
      outcome: 'partial',
      pages: ['p1', 'p2'],
      result: 'T.30 DCN before page 3',
    });

    const orphaned = inboundCall();
    orphaned.send({ type: 'call.pageReceived', page: 1, objectId: 'p1' });
    orphaned.done('receiveFax', { kind: 'lost', endedAt: T0 + 40_000 });
    expect(orphaned.last('handOver')).toMatchObject({
      outcome: 'partial',
      pages: ['p1'],
      result: 'the call was cut off when the receiving node failed',
    });
  });

  it('hands over a failed fax with no pages, so the customer still hears of it', () => {
    const call = inboundCall();
    call.done('receiveFax', { kind: 'failed', result: 'No fax tone detected', endedAt: T0 + 35_000 });
    expect(call.last('handOver')).toMatchObject({ outcome: 'failed', pages: [] });
  });
});

describe('fax email delivery', () => {
  const accepted: SendOutcome = {
    kind: 'accepted',
    messageId: '<fax-fax-1@fax.example>',
    response: '250 queued',
    at: T0 + 5_000,
  };

  it('builds, sends once and records the delivery', () => {
    const email = delivery();
    expect(email.last('buildDocuments')).toEqual({ faxId: 'fax-1' });
    email.done('buildDocuments');
    expect(email.last('sendFaxEmail')).toEqual({ faxId: 'fax-1', attempt: 1 });
    email.done('sendFaxEmail', accepted);
    expect(email.last('recordResult')).toEqual({ faxId: 'fax-1', result: 'delivered', reply: '250 queued' });
    email.done('recordResult');
    expect(email.snapshot.status).toBe('done');
    expect(email.count('sendFaxEmail')).toBe(1);
    expect(email.count('deleteContent')).toBe(0);
  });

  it('waits out temporary refusals with doubling delays, then delivers', () => {
    const email = delivery().done('buildDocuments');
    email.done('sendFaxEmail', { kind: 'temporary', reply: '451 greylisted', at: T0 });
    expect(email.deadline).toBe(T0 + MINUTE);
    email.tick(T0 + 30_000);
    expect(email.count('sendFaxEmail')).toBe(1); // not due yet
    email.tick(T0 + MINUTE);
    email.done('sendFaxEmail', { kind: 'temporary', reply: '451 greylisted', at: T0 + MINUTE });
    expect(email.deadline).toBe(T0 + 3 * MINUTE);
    email.tick(T0 + 3 * MINUTE).done('sendFaxEmail', { ...accepted, at: T0 + 3 * MINUTE });
    expect(email.last('recordResult')).toMatchObject({ result: 'delivered' });
    expect(email.count('sendFaxEmail')).toBe(3);
  });

  it('records a permanent refusal with the server words, and gives up after four days of temporary ones', () => {
    const refused = delivery().done('buildDocuments');
    refused.done('sendFaxEmail', { kind: 'permanent', reply: '550 5.1.1 no such user', at: T0 });
    expect(refused.last('recordResult')).toEqual({
      faxId: 'fax-1',
      result: 'failed',
      reply: '550 5.1.1 no such user',
    });

    const stuck = delivery().done('buildDocuments');
    let now = T0;
    for (let attempt = 0; attempt < 200 && stuck.snapshot.value !== 'recording'; attempt++) {
      stuck.done('sendFaxEmail', { kind: 'temporary', reply: '421 try later', at: now });
      now = stuck.deadline ?? now;
      stuck.tick(now);
    }
    expect(stuck.last('recordResult')).toMatchObject({
      result: 'failed',
      reply: '421 try later (gave up after 4 days)',
    });
    expect(now - T0).toBeLessThan(4 * 24 * 60 * MINUTE);
    expect(stuck.count('sendFaxEmail')).toBeLessThan(110); // hourly at most once backed off, not a tight loop
  });

  it('deletes the content after delivery when the number asks for it', () => {
    const email = delivery(true).done('buildDocuments').done('sendFaxEmail', accepted).done('recordResult');
    expect(email.last('deleteContent')).toEqual({ faxId: 'fax-1' });
    email.done('deleteContent');
    expect(email.snapshot.status).toBe('done');
  });

  it('both machines survive persist → JSON → restore in every reachable state', () => {
    const call = defineMachine({
      name: 'inbound-fax-call',
      version: 1,
      logic: inboundFaxCallMachine,
      effects: ['receiveFax', 'handOver'],
    });
    const callStates = reachableStates(call, {
      input: { faxId: 'f', callId: 'c', did: '+1', caller: '+2', answeredAt: T0 },
      events: [
        { type: 'call.negotiated', transport: 't38', remoteStationId: 'x', bitRate: 9600, ecm: false },
        { type: 'call.pageReceived', page: 1, objectId: 'p1' },
        {
          type: 'cluster.effect.done',
          effect: 'receiveFax',
          key: 'k',
          output: { kind: 'lost', endedAt: T0 },
        },
        { type: 'cluster.effect.done', effect: 'handOver', key: 'h', output: null },
      ],
    });
    const email = defineMachine({
      name: 'fax-email-delivery',
      version: 1,
      logic: faxEmailDeliveryMachine,
      effects: ['buildDocuments', 'sendFaxEmail', 'deleteContent', 'recordResult'],
      nextDeadline: faxEmailDeliveryDeadline,
    });
    const emailStates = reachableStates(email, {
      input: { faxId: 'f', handedOverAt: T0, deleteAfterDelivery: true },
      events: [
        { type: 'cluster.effect.done', effect: 'buildDocuments', key: 'b', output: null },
        {
          type: 'cluster.effect.done',
          effect: 'sendFaxEmail',
          key: 's',
          output: { kind: 'temporary', reply: '451', at: T0 },
        },
        { type: 'cluster.effect.done', effect: 'sendFaxEmail', key: 's', output: accepted },
        { type: 'cluster.timer', deadline: T0 + MINUTE, now: T0 + MINUTE },
        { type: 'cluster.effect.done', effect: 'recordResult', key: 'r', output: null },
        { type: 'cluster.effect.done', effect: 'deleteContent', key: 'd', output: null },
      ],
    });
    expect(callStates.length).toBeGreaterThan(4);
    expect(emailStates.length).toBeGreaterThan(5);
    for (const state of callStates)
      expect(roundTrip(call, state.persisted)).toEqual(JSON.parse(JSON.stringify(state.persisted)));
    for (const state of emailStates)
      expect(roundTrip(email, state.persisted)).toEqual(JSON.parse(JSON.stringify(state.persisted)));
  });
});
