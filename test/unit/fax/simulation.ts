// Simulated-clock fax calls for the engine tests: two endpoints exchange packets in memory, one
// 20 ms tick per loop turn, through a seeded lossy/reordering link, so a two-minute fax runs in
// tens of milliseconds of wall time with results that repeat exactly.
import {
  AudioTerminal,
  T38Gateway,
  T38Terminal,
  type ConfirmedPage,
  type FaxJobOptions,
  type FaxResult,
} from '../../../src/fax/index.ts';
import {
  g711Decode,
  g711Encode,
  UdptlReceiver,
  UdptlSender,
  type ErrorCorrection,
  type G711Law,
} from '../../../src/media/index.ts';

/** mulberry32: a small seeded PRNG, so a given loss pattern is the same on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface LinkOptions {
  readonly loss?: number;
  /** Probability that a datagram is held back one extra tick (arrives after its successor). */
  readonly reorder?: number;
  readonly seed?: number;
}

/** One direction of a network path: datagrams sent in tick t arrive in tick t+1 (or t+2). */
export class SimulatedLink {
  private readonly random: () => number;
  private now: Uint8Array[] = [];
  private later: Uint8Array[] = [];
  private readonly options: LinkOptions;
  sent = 0;
  dropped = 0;

  constructor(options: LinkOptions = {}) {
    this.options = options;
    this.random = seededRandom(options.seed ?? 1);
  }

  send(datagram: Uint8Array): void {
    this.sent += 1;
    if (this.random() < (this.options.loss ?? 0)) {
      this.dropped += 1;
      return;
    }
    (this.random() < (this.options.reorder ?? 0) ? this.later : this.now).push(datagram);
  }

  /** Datagrams arriving this tick. */
  deliver(): Uint8Array[] {
    const arriving = this.now;
    this.now = this.later;
    this.later = [];
    return arriving;
  }
}

export interface CallOutcome {
  readonly sender: FaxResult | undefined;
  readonly receiver: FaxResult | undefined;
  readonly sentPages: ConfirmedPage[];
  readonly receivedPages: ConfirmedPage[];
  readonly simulatedSeconds: number;
  /** Settles once the receiver's TIFF file is complete (it is written off the calling thread). */
  readonly receivedFile: Promise<void>;
}

const MAX_TICKS = 5 * 60 * 50; // five simulated minutes

/** Ends both terminals, collects what each side saw, frees SpanDSP's state. */
function finishCall(
  sender: T38Terminal | AudioTerminal,
  receiver: T38Terminal | AudioTerminal,
  pages: { sentPages: ConfirmedPage[]; receivedPages: ConfirmedPage[] },
  ticks: number,
): CallOutcome {
  sender.hangUp();
  receiver.hangUp();
  const outcome = {
    sender: sender.result,
    receiver: receiver.result,
    ...pages,
    simulatedSeconds: ticks / 50,
    receivedFile: receiver.flush(),
  };
  sender.release();
  receiver.release();
  return outcome;
}

interface UdptlSide {
  readonly terminal: { receiveIfp(ifp: Uint8Array, seq: number): void };
  readonly sender: UdptlSender;
  readonly receiver: UdptlReceiver;
  readonly link: SimulatedLink;
}

function udptlSide(ec: ErrorCorrection, link: SimulatedLink) {
  return { sender: new UdptlSender({ errorCorrection: ec }), receiver: new UdptlReceiver(), link };
}

/** Sends each IFP through our UDPTL framing, `count` identical copies, as on the wire. */
function transmitter(
  side: { sender: UdptlSender; link: SimulatedLink },
  tap?: (datagram: Uint8Array) => void,
) {
  return (ifp: Uint8Array, count: number) => {
    const datagram = side.sender.next(ifp);
    for (let i = 0; i < Math.max(1, count); i++) {
      tap?.(datagram);
      side.link.send(datagram);
    }
  };
}

function pump(from: UdptlSide['link'], to: Pick<UdptlSide, 'receiver' | 'terminal'>): void {
  for (const datagram of from.deliver()) {
    to.receiver.receive(datagram, (ifp, seq) => to.terminal.receiveIfp(ifp, seq));
  }
}

export interface T38CallOptions {
  readonly send: Omit<FaxJobOptions, 'direction'>;
  readonly receive: Omit<FaxJobOptions, 'direction'>;
  readonly errorCorrection?: ErrorCorrection;
  readonly link?: LinkOptions;
  /** Appends `sent <n>` / `received <n>` as each side confirms a page, in the order it happens. */
  readonly timeline?: string[];
  /** Sees every datagram put on the wire (before loss), e.g. to write a capture file. */
  readonly tap?: (datagram: Uint8Array, from: 'caller' | 'callee', tick: number) => void;
}

/** A T.38 terminal calling a T.38 terminal over UDPTL. */
export function t38Call(options: T38CallOptions): CallOutcome {
  const ec = options.errorCorrection ?? { mode: 'redundancy', secondaries: 3 };
  const sentPages: ConfirmedPage[] = [];
  const receivedPages: ConfirmedPage[] = [];
  const a = udptlSide(ec, new SimulatedLink({ ...options.link, seed: (options.link?.seed ?? 1) * 2 }));
  const b = udptlSide(ec, new SimulatedLink({ ...options.link, seed: (options.link?.seed ?? 1) * 2 + 1 }));
  let tick = 0;
  const caller = new T38Terminal({
    calling: true,
    job: { direction: 'send', ...options.send },
    transmit: transmitter(a, options.tap && ((d) => options.tap?.(d, 'caller', tick))),
    events: {
      onPageConfirmed: (p) => {
        sentPages.push(p);
        options.timeline?.push(`sent ${p.pageNumber}`);
      },
    },
  });
  const callee = new T38Terminal({
    calling: false,
    job: { direction: 'receive', ...options.receive },
    transmit: transmitter(b, options.tap && ((d) => options.tap?.(d, 'callee', tick))),
    events: {
      onPageConfirmed: (p) => {
        receivedPages.push(p);
        options.timeline?.push(`received ${p.pageNumber}`);
      },
    },
  });
  for (; tick < MAX_TICKS; tick++) {
    const doneA = caller.tick();
    const doneB = callee.tick();
    pump(a.link, { receiver: b.receiver, terminal: callee });
    pump(b.link, { receiver: a.receiver, terminal: caller });
    if (doneA && doneB) break;
  }
  return finishCall(caller, callee, { sentPages, receivedPages }, tick);
}

/** An 8 kHz audio path through G.711: 160 samples per tick, encoded and decoded like RTP. */
class G711Path {
  private readonly law: G711Law;
  private readonly codes = new Uint8Array(160);
  private readonly samples = new Int16Array(160);
  constructor(law: G711Law) {
    this.law = law;
  }
  carry(
    from: { transmitAudio(out: Int16Array): number },
    to: { receiveAudio(samples: Int16Array): void },
  ): void {
    const out = new Int16Array(160);
    const n = from.transmitAudio(out);
    out.fill(0, n);
    g711Encode(this.law, out, this.codes);
    to.receiveAudio(g711Decode(this.law, this.codes, this.samples));
  }
}

export interface AudioCallOptions {
  readonly send: Omit<FaxJobOptions, 'direction'>;
  readonly receive: Omit<FaxJobOptions, 'direction'>;
  readonly law?: G711Law;
}

/** An audio fax terminal calling another over a G.711 line. */
export function audioCall(options: AudioCallOptions): CallOutcome {
  const sentPages: ConfirmedPage[] = [];
  const receivedPages: ConfirmedPage[] = [];
  const caller = new AudioTerminal({
    calling: true,
    job: { direction: 'send', ...options.send },
    events: { onPageConfirmed: (p) => sentPages.push(p) },
  });
  const callee = new AudioTerminal({
    calling: false,
    job: { direction: 'receive', ...options.receive },
    events: { onPageConfirmed: (p) => receivedPages.push(p) },
  });
  const forward = new G711Path(options.law ?? 'pcma');
  const backward = new G711Path(options.law ?? 'pcma');
  let tick = 0;
  for (; tick < MAX_TICKS && !(caller.done && callee.done); tick++) {
    forward.carry(caller, callee);
    backward.carry(callee, caller);
  }
  return finishCall(caller, callee, { sentPages, receivedPages }, tick);
}

export interface GatewayCallOptions extends T38CallOptions {
  /** Which side speaks T.38: the sender (T.38 → gateway → audio receiver) or the receiver. */
  readonly t38Side: 'sender' | 'receiver';
  readonly law?: G711Law;
}

/** T.38 terminal ⇄ UDPTL ⇄ T.38 gateway ⇄ G.711 ⇄ audio terminal. */
export function gatewayCall(options: GatewayCallOptions): CallOutcome {
  const ec = options.errorCorrection ?? { mode: 'redundancy', secondaries: 3 };
  const sentPages: ConfirmedPage[] = [];
  const receivedPages: ConfirmedPage[] = [];
  const toGateway = udptlSide(ec, new SimulatedLink({ ...options.link, seed: 11 }));
  const toTerminal = udptlSide(ec, new SimulatedLink({ ...options.link, seed: 12 }));
  const senderIsT38 = options.t38Side === 'sender';
  const sendJob: FaxJobOptions = { direction: 'send', ...options.send };
  const receiveJob: FaxJobOptions = { direction: 'receive', ...options.receive };
  const onSent = { onPageConfirmed: (p: ConfirmedPage) => sentPages.push(p) };
  const onReceived = { onPageConfirmed: (p: ConfirmedPage) => receivedPages.push(p) };
  const t38 = new T38Terminal({
    calling: senderIsT38,
    job: senderIsT38 ? sendJob : receiveJob,
    transmit: transmitter(toGateway),
    events: senderIsT38 ? onSent : onReceived,
  });
  const audio = new AudioTerminal({
    calling: !senderIsT38,
    job: senderIsT38 ? receiveJob : sendJob,
    events: senderIsT38 ? onReceived : onSent,
  });
  const gateway = new T38Gateway({ ecm: true, transmit: transmitter(toTerminal) });
  const forward = new G711Path(options.law ?? 'pcmu');
  const backward = new G711Path(options.law ?? 'pcmu');
  let tick = 0;
  for (; tick < MAX_TICKS; tick++) {
    const t38Done = t38.tick();
    forward.carry(gateway, audio);
    backward.carry(audio, gateway);
    pump(toGateway.link, { receiver: toGateway.receiver, terminal: gateway });
    pump(toTerminal.link, { receiver: toTerminal.receiver, terminal: t38 });
    if (t38Done && audio.done) break;
  }
  gateway.release();
  const [sender, receiver] = senderIsT38 ? [t38, audio] : [audio, t38];
  return finishCall(sender, receiver, { sentPages, receivedPages }, tick);
}
