// Outbound faxing across the cluster: what works per destination, and one call per number at a time.
export { DestinationKnowledge, type DestinationSettings } from './destination-knowledge.ts';
export { DestinationLocks, type DestinationLease } from './destination-lock.ts';
