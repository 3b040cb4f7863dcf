// Where a TIFF's bytes come from: memory, or an open file read only where needed, as libtiff maps
// a file instead of reading it. Converting a file page by page then never holds all of it (a
// 100-page uncompressed TIFF is 47 MB) and reads each page into the same buffers.
import { fstatSync, readSync } from 'node:fs';
import { InvalidImageError } from '../image-errors.ts';

/** A buffer lent to reads again and again; it grows to the largest read. */
export class ReadBuffer {
  private buffer = new Uint8Array(0);

  take(length: number): Uint8Array {
    if (this.buffer.length < length) this.buffer = new Uint8Array(length);
    return this.buffer.subarray(0, length);
  }
}

export interface TiffSource {
  readonly length: number;
  /**
   * `length` bytes at `offset` (the caller keeps both inside the file). From memory they are a
   * view of it; from a file they are read into `into` (overwriting what it held) or a new array.
   */
  bytes(offset: number, length: number, into?: ReadBuffer): Uint8Array;
}

export function memorySource(file: Uint8Array): TiffSource {
  return {
    length: file.length,
    bytes: (offset, length) => file.subarray(offset, offset + length),
  };
}

/** A source reading an open file descriptor with positioned reads; its size is taken once. */
export function fileSource(fd: number): TiffSource {
  const length = fstatSync(fd).size;
  return {
    length,
    bytes(offset, count, into) {
      const target = into?.take(count) ?? new Uint8Array(count);
      for (let done = 0; done < count;) {
        const read = readSync(fd, target, done, count - done, offset + done);
        if (read === 0) throw new InvalidImageError('the file ended while it was being read');
        done += read;
      }
      return target;
    },
  };
}
