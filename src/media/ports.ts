// UDP ports for media from a configured range, handed out round-robin so a port just released is
// not reused at once (late packets of the old call must not reach the new one). Binding is the
// caller's job: a port that turns out to be taken by another process is reported back and skipped.
import { RetryableError } from '../../cluster/index.ts';

/** No port or channel left on this node: try another node (SIP 503). */
export class MediaCapacityError extends RetryableError {}

export class PortAllocator {
  private readonly min: number;
  private readonly max: number;
  private readonly step: number;
  private cursor: number;
  private readonly inUse = new Set<number>();

  /** `step` 2 keeps ports even (RTP convention, RTCP on the odd neighbour). */
  constructor(min: number, max: number, step: 1 | 2 = 2) {
    if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1024 || max > 65535 || max < min) {
      throw new RangeError(`media port range ${min}-${max} must be within 1024-65535`);
    }
    this.min = step === 2 ? min + (min % 2) : min;
    this.max = max;
    this.step = step;
    this.cursor = this.min;
  }

  get capacity(): number {
    return Math.floor((this.max - this.min) / this.step) + 1;
  }

  get used(): number {
    return this.inUse.size;
  }

  allocate(): number {
    for (let tried = 0; tried < this.capacity; tried++) {
      const port = this.cursor;
      this.cursor = this.cursor + this.step > this.max ? this.min : this.cursor + this.step;
      if (!this.inUse.has(port)) {
        this.inUse.add(port);
        return port;
      }
    }
    throw new MediaCapacityError(`no free media port in ${this.min}-${this.max}`, { wire: { sip: 503 } });
  }

  release(port: number): void {
    this.inUse.delete(port);
  }
}
