// A child process we start, wait for, and control: stop gracefully, kill -9, pause (SIGSTOP),
// resume and restart with the same arguments. Used by the single-node start to supervise private
// redis-server/nats-server processes, and by tests to inject faults into them.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { TerminalError } from '../../cluster/index.ts';

export class MissingBinaryError extends TerminalError {}

export class ProcessStartError extends TerminalError {}

const SYSTEM_BIN_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Finds an executable on PATH or in the system directories (nats-server lives in /usr/sbin). */
export function findExecutable(
  name: string,
  debianPackage: string,
  searchPath = process.env['PATH'] ?? '',
): string {
  const dirs = [...searchPath.split(path.delimiter).filter(Boolean), ...SYSTEM_BIN_DIRS];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new MissingBinaryError(
    `${name} was not found on PATH or in ${SYSTEM_BIN_DIRS.join(', ')}: install the Debian package ` +
      `'${debianPackage}' (scripts/setup installs it), or point the configuration at an existing server`,
  );
}

export interface ManagedProcessOptions {
  readonly name: string;
  readonly executable: string;
  readonly args: readonly string[];
  /** A line on stdout or stderr that means the process is ready to serve. */
  readonly readyPattern: RegExp;
  readonly readyTimeoutMs?: number;
  readonly cwd?: string;
  /** Called with each output line, e.g. to forward to the logger. */
  readonly onOutput?: (line: string) => void;
}

export type ManagedProcessState = 'stopped' | 'starting' | 'running' | 'paused';

export class ManagedProcess extends EventEmitter<{
  spawn: [pid: number];
  exit: [code: number | null, signal: NodeJS.Signals | null];
}> {
  readonly options: ManagedProcessOptions;
  #child: ChildProcess | undefined;
  #state: ManagedProcessState = 'stopped';
  #recentOutput: string[] = [];

  constructor(options: ManagedProcessOptions) {
    super();
    this.options = options;
  }

  get state(): ManagedProcessState {
    return this.#state;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  async start(): Promise<void> {
    if (this.#child) throw new ProcessStartError(`${this.options.name} is already running`);
    const { executable, args, cwd, readyPattern, name } = this.options;
    const timeoutMs = this.options.readyTimeoutMs ?? 15_000;
    this.#state = 'starting';
    this.#recentOutput = [];
    const child = spawn(executable, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    if (child.pid !== undefined) this.emit('spawn', child.pid);

    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new ProcessStartError(`${name} was not ready within ${timeoutMs}ms:\n${this.#tail()}`)),
        timeoutMs,
      );
      const onLine = (line: string): void => {
        this.#remember(line);
        this.options.onOutput?.(line);
        if (this.#state === 'starting' && readyPattern.test(line)) {
          clearTimeout(timer);
          this.#state = 'running';
          resolve();
        }
      };
      forEachLine(child.stdout, onLine);
      forEachLine(child.stderr, onLine);
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(new ProcessStartError(`${name} could not be started (${executable})`, { cause: error }));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(
          new ProcessStartError(
            `${name} exited (code ${code}, signal ${signal}) before it was ready:\n${this.#tail()}`,
          ),
        );
      });
    });
    child.once('exit', (code, signal) => {
      if (this.#child === child) {
        this.#child = undefined;
        this.#state = 'stopped';
      }
      this.emit('exit', code, signal);
    });
    try {
      await ready;
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    const child = this.#child;
    if (!child) return;
    const exited = once(child, 'exit');
    if (this.#state === 'paused') child.kill('SIGCONT');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** kill -9: the process gets no chance to flush or say goodbye. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  /** SIGSTOP: the process keeps its sockets but answers nothing, like a host that froze. */
  pause(): void {
    if (this.#child && this.#state === 'running') {
      this.#child.kill('SIGSTOP');
      this.#state = 'paused';
    }
  }

  resume(): void {
    if (this.#child && this.#state === 'paused') {
      this.#child.kill('SIGCONT');
      this.#state = 'running';
    }
  }

  /** Stops (gracefully, or with kill -9 when `hard`) and starts again with the same arguments. */
  async restart(options: { hard?: boolean } = {}): Promise<void> {
    await (options.hard ? this.kill() : this.stop());
    await this.start();
  }

  #remember(line: string): void {
    this.#recentOutput.push(line);
    if (this.#recentOutput.length > 40) this.#recentOutput.shift();
  }

  #tail(): string {
    return this.#recentOutput.join('\n');
  }
}

function forEachLine(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (!stream) return;
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    pending += chunk;
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      onLine(pending.slice(0, newline).replace(/\r$/, ''));
      pending = pending.slice(newline + 1);
      newline = pending.indexOf('\n');
    }
  });
}
