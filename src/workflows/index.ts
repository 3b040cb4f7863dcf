// The fax workflows the cluster hosts (machine definitions; their effect handlers join here).
export {
  outboundFaxJob,
  inboundFaxCall,
  faxEmailDelivery,
  faxJobReport,
  campaign,
  campaignRecipient,
  FAX_MACHINES,
} from './machines.ts';
