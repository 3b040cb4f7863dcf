// The fax services of one node, assembled from configuration (the composition root's main part).
export { startFaxServices, CLUSTER_PREFIX, type FaxServices, type FaxServicesDeps } from './fax-services.ts';
