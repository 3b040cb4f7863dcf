// Email2Fax customer accounts: logins, MX sender allowlists, dial plans and usage limits.
export {
  AccountStore,
  AccountNotFoundError,
  UsageLimitError,
  type Account,
  type LoginSummary,
  type UsageLimits,
} from './account-store.ts';
export {
  checkDestination,
  InvalidFaxNumberError,
  DestinationNotAllowedError,
  type DialPlan,
} from './dial-plan.ts';
export { hashPassword, verifyPassword } from './password.ts';
