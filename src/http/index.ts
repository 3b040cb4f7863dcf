// HTTP: health, readiness and metrics (the operator API joins here).
export {
  startHealthServer,
  type ReadinessCheck,
  type HealthServerOptions,
  type RunningHealthServer,
} from './health-server.ts';
