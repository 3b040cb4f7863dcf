import { describe, expect, it } from 'vitest';
import { findExecutable, MissingBinaryError } from '../../../src/local-services/index.ts';

describe('findExecutable', () => {
  it('finds system daemons outside a user PATH (nats-server lives in /usr/sbin)', () => {
    expect(findExecutable('nats-server', 'nats-server', '/nonexistent')).toBe('/usr/sbin/nats-server');
  });

  it('says exactly which Debian package to install when a binary is missing', () => {
    expect(() => findExecutable('rtpengine-that-is-not-here', 'rtpengine-daemon', '/nonexistent')).toThrow(
      MissingBinaryError,
    );
    expect(() => findExecutable('rtpengine-that-is-not-here', 'rtpengine-daemon', '/nonexistent')).toThrow(
      /install the Debian package 'rtpengine-daemon' \(scripts\/setup installs it\)/,
    );
  });
});
