// Prometheus metrics for one node. Each node owns one registry so tests can run several nodes in one
// process without their counters mixing.
import { Registry, collectDefaultMetrics } from 'prom-client';

export function createMetricsRegistry(nodeName: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ node: nodeName });
  collectDefaultMetrics({ register: registry, prefix: 'faxswitch_' });
  return registry;
}
