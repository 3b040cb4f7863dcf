// Outbound faxing across the cluster: what works per destination, one call per number at a time,
// the expiring locks both that and call executions are built on, and paces shared by all nodes.
export { DestinationKnowledge, type DestinationSettings } from './destination-knowledge.ts';
export { DestinationLocks } from './destination-lock.ts';
export { ExpiringLocks, type HeldLock } from './expiring-lock.ts';
export { ClusterPacer } from './pacer.ts';
