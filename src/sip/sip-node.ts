// What a faxswitch node starts for SIP: srf signalling connected to a real drachtio-server (the
// production layout, one beside each node) or to an embedded server started here (one machine).
import { EmbeddedDrachtioServer, type EmbeddedServerOptions } from './embedded-server/server.ts';
import { SrfSignalling, type SrfSignallingOptions } from './srf-adapter.ts';

export type DrachtioChoice =
  | { readonly kind: 'external'; readonly host: string; readonly port: number; readonly secret: string }
  | { readonly kind: 'embedded'; readonly server: EmbeddedServerOptions };

export interface SipNodeOptions extends Omit<SrfSignallingOptions, 'connection'> {
  readonly drachtio: DrachtioChoice;
}

export interface SipNode {
  readonly signalling: SrfSignalling;
  /** Present when this node runs the embedded server. */
  readonly embedded: EmbeddedDrachtioServer | undefined;
  /** Hangs up calls, disconnects, stops the embedded server. */
  close(): Promise<void>;
}

export async function startSipNode(options: SipNodeOptions): Promise<SipNode> {
  const { drachtio, ...signallingOptions } = options;
  if (drachtio.kind === 'external') {
    const signalling = await SrfSignalling.start({
      ...signallingOptions,
      connection: { mode: 'connect', host: drachtio.host, port: drachtio.port, secret: drachtio.secret },
    });
    return { signalling, embedded: undefined, close: () => signalling.close() };
  }
  const embedded = await EmbeddedDrachtioServer.start(drachtio.server);
  try {
    const signalling = await SrfSignalling.start({
      ...signallingOptions,
      connection: {
        mode: 'connect',
        host: embedded.host,
        port: embedded.controlPort,
        secret: drachtio.server.secret,
      },
    });
    return {
      signalling,
      embedded,
      close: async () => {
        await signalling.close();
        await embedded.close();
      },
    };
  } catch (error) {
    await embedded.close();
    throw error;
  }
}
