// Snapshot compatibility of the machines the cluster hosts: golden fixtures of each stored version
// keep restoring, and every reachable state survives persist → JSON → restore → persist.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { reachableStates, roundTrip } from '../../../cluster/compat.ts';
import { nextStep, restoreSnapshot } from '../../../cluster/machine.ts';
import { HostEvent } from '../../../actors/index.ts';
import { probeJob, probeJobEvents } from '../../chaos/probe-job.ts';

const FIXTURES = path.join(import.meta.dirname, '../../fixtures/snapshots/probe-job');

describe('probe-job snapshots', () => {
  const states = reachableStates(probeJob, {
    input: { jobId: 'job', notBefore: 1_000 },
    events: probeJobEvents(1_000, 'job:3:0'),
  });

  it('reaches every state of the machine', () => {
    const values = new Set(states.map((state) => (state.persisted as { value: string }).value));
    expect([...values].sort()).toEqual(['cancelled', 'delivered', 'delivering', 'failed', 'scheduled']);
  });

  it('every reachable state survives persist → JSON → restore → persist', () => {
    for (const state of states)
      expect(roundTrip(probeJob, state.persisted), state.path.join(' → ')).toEqual(state.persisted);
  });

  const versions = readdirSync(FIXTURES);
  it('has golden fixtures for the current version', () => {
    expect(versions).toContain(`v${probeJob.version}`);
  });

  for (const version of versions) {
    it(`golden snapshots of ${version} restore and still run`, () => {
      const files = readdirSync(path.join(FIXTURES, version));
      expect(files.length).toBeGreaterThan(0);
      for (const file of files) {
        const persisted = JSON.parse(readFileSync(path.join(FIXTURES, version, file), 'utf8')) as {
          value: string;
        };
        expect(roundTrip(probeJob, persisted), file).toEqual(persisted);
        if (persisted.value === 'scheduled') {
          const step = nextStep(
            probeJob,
            restoreSnapshot(probeJob, persisted),
            { type: HostEvent.timer, deadline: 0, now: Number.MAX_SAFE_INTEGER } as { type: string },
            'job-7',
            9,
          );
          expect(step.effects).toEqual([{ key: 'job-7:9:0', name: 'deliver', params: { jobId: 'job-7' } }]);
        }
      }
    });
  }
});
