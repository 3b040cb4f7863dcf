// Carriers we dial out through: each with a proxy, credentials, codecs, a T.38 policy, a channel
// limit and a calls-per-second limit. `TrunkPool.candidates()` yields the trunks that may take a
// call now, in configured order, and a lease that frees the channel when the call ends.
import { type Clock, TokenBucket } from './token-bucket.ts';
import type { T38Policy, TrunkInfo } from './call-control.ts';

export interface TrunkConfig {
  readonly name: string;
  /** Next hop: `host[:port]` or a SIP URI (`sip:host:port;transport=tcp`). */
  readonly proxy: string;
  /** Host part of the Request-URI; defaults to the proxy's host. */
  readonly domain?: string;
  readonly username?: string;
  readonly password?: string;
  readonly codecs: readonly string[];
  readonly t38Policy: T38Policy;
  readonly maxChannels: number;
  readonly callsPerSecond: number;
  /** No provisional response within this → try the next trunk. */
  readonly setupTimeoutMs: number;
  /** Ringing longer than this → CANCEL, no answer. */
  readonly answerTimeoutMs: number;
}

export interface TrunkLease {
  readonly trunk: TrunkConfig;
  readonly info: TrunkInfo;
  release(): void;
}

export class TrunkPool {
  readonly #trunks: readonly TrunkConfig[];
  readonly #inUse = new Map<string, number>();
  readonly #cps = new Map<string, TokenBucket>();

  constructor(trunks: readonly TrunkConfig[], now: Clock = Date.now) {
    const names = new Set<string>();
    for (const trunk of trunks) {
      if (names.has(trunk.name)) throw new RangeError(`trunk name '${trunk.name}' is configured twice`);
      if (!(trunk.maxChannels > 0) || !(trunk.callsPerSecond > 0)) {
        throw new RangeError(`trunk '${trunk.name}' needs maxChannels > 0 and callsPerSecond > 0`);
      }
      names.add(trunk.name);
      this.#cps.set(
        trunk.name,
        new TokenBucket(Math.max(1, trunk.callsPerSecond), trunk.callsPerSecond, now),
      );
    }
    this.#trunks = trunks;
  }

  get size(): number {
    return this.#trunks.length;
  }

  /** Trunk names in configured order. */
  get names(): string[] {
    return this.#trunks.map((trunk) => trunk.name);
  }

  channelsInUse(name: string): number {
    return this.#inUse.get(name) ?? 0;
  }

  /**
   * Takes a channel and a calls-per-second token on the first trunk that has both, after `skip`;
   * `paced`: the caller kept the pace across the cluster, so only the channel is taken.
   */
  lease(skip: ReadonlySet<string>, options: { paced?: boolean } = {}): TrunkLease | undefined {
    for (const trunk of this.#trunks) {
      if (skip.has(trunk.name) || this.channelsInUse(trunk.name) >= trunk.maxChannels) continue;
      if (options.paced !== true && this.#cps.get(trunk.name)?.tryTake() !== true) continue;
      this.#inUse.set(trunk.name, this.channelsInUse(trunk.name) + 1);
      let released = false;
      return {
        trunk,
        info: { name: trunk.name, codecs: trunk.codecs, t38Policy: trunk.t38Policy },
        release: () => {
          if (released) return;
          released = true;
          this.#inUse.set(trunk.name, this.channelsInUse(trunk.name) - 1);
        },
      };
    }
    return undefined;
  }

  /** When a trunk not in `skip` may next have room, for Retry-After style hints. */
  msUntilCapacity(skip: ReadonlySet<string>): number {
    let best = Number.POSITIVE_INFINITY;
    for (const trunk of this.#trunks) {
      if (skip.has(trunk.name)) continue;
      // A full trunk frees a channel when some call ends: no better hint than a second.
      const wait =
        this.channelsInUse(trunk.name) >= trunk.maxChannels
          ? 1000
          : (this.#cps.get(trunk.name)?.msUntilToken() ?? 1000);
      best = Math.min(best, wait);
    }
    return Number.isFinite(best) ? Math.max(best, 1) : 1000;
  }
}
