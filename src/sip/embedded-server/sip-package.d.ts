// Types for the parts of the `sip` npm package (0.0.6, untyped CommonJS) that the embedded server
// uses: the message parser/serializer and the RFC 3261 transaction layer. Nothing else is declared.
declare module 'sip' {
  export interface SipUri {
    schema?: string;
    user?: string;
    password?: string;
    host: string;
    port?: number;
    params: Record<string, string | null>;
    headers: Record<string, string>;
  }
  export interface NameAddr {
    name?: string;
    uri: string;
    params: Record<string, string | null | undefined>;
  }
  export interface Via {
    version?: string;
    protocol: string;
    host?: string;
    port?: number;
    params: Record<string, string | null | undefined>;
  }
  export interface CSeq {
    seq: number;
    method: string;
  }
  export interface SipHeaders {
    via?: Via[];
    to?: NameAddr;
    from?: NameAddr;
    'call-id'?: string;
    cseq?: CSeq;
    contact?: NameAddr[] | '*';
    'content-length'?: number;
    route?: unknown;
    'record-route'?: unknown;
    [name: string]: unknown;
  }
  export interface SipMessage {
    method?: string;
    uri?: string;
    status?: number;
    reason?: string;
    version?: string;
    headers: SipHeaders;
    content?: string;
  }
  /** What the transaction layer sends through: one flow to one peer. */
  export interface Connection {
    send(message: SipMessage): void;
    release(): void;
    readonly protocol: string;
  }
  export interface ClientTransaction {
    message(message: SipMessage, remote?: unknown): void;
    shutdown(): void;
  }
  export interface ServerTransaction {
    send(message: SipMessage): void;
    message(message: SipMessage): void;
    shutdown(): void;
  }
  export interface TransactionLayer {
    createServerTransaction(request: SipMessage, connection: Connection): ServerTransaction;
    createClientTransaction(
      connection: Connection,
      request: SipMessage,
      onResponse: (response: SipMessage) => void,
    ): ClientTransaction;
    getServer(message: SipMessage): ServerTransaction | undefined;
    getClient(message: SipMessage): ClientTransaction | undefined;
    destroy(): void;
  }
  export function parse(text: string): SipMessage | undefined;
  export function stringify(message: SipMessage): string;
  export function parseUri(uri: string): SipUri | undefined;
  export function stringifyUri(uri: SipUri | string): string;
  export function makeResponse(
    request: SipMessage,
    status: number,
    reason?: string,
    extension?: { headers?: Record<string, unknown>; content?: string },
  ): SipMessage;
  export function makeTransactionLayer(
    options: Record<string, unknown>,
    transport: unknown,
  ): TransactionLayer;
  export function generateBranch(): string;
  const sip: {
    parse: typeof parse;
    stringify: typeof stringify;
    parseUri: typeof parseUri;
    stringifyUri: typeof stringifyUri;
    makeResponse: typeof makeResponse;
    makeTransactionLayer: typeof makeTransactionLayer;
    generateBranch: typeof generateBranch;
  };
  export default sip;
}
