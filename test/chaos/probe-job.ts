// The probe-job machine as the cluster hosts it, shared by the chaos nodes and integration tests.
import { defineMachine } from '../../cluster/index.ts';
import { probeJobDeadline, probeJobMachine } from '../../actors/index.ts';

export const probeJob = defineMachine({
  name: 'probe-job',
  version: 1,
  logic: probeJobMachine,
  effects: ['deliver'],
  nextDeadline: probeJobDeadline,
});

/** Where chaos nodes accept job submissions (a queue group: one node takes each). */
export function submitSubject(prefix: string): string {
  return `${prefix}.submit`;
}
