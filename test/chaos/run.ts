// The chaos run: real redis-server and nats-server, N node processes, a ledger the nodes do not
// control, and a seeded schedule of faults — SIGKILL (then a restart with a new incarnation),
// SIGSTOP past the lease (then SIGCONT), optional Redis and NATS restarts — while jobs are submitted.
// At the end every accepted job must be delivered exactly once according to the ledger.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { createLocalNats, createLocalRedis, type LocalServer } from '../../src/local-services/index.ts';
import { createKeys } from '../../cluster/index.ts';
import { Ledger } from './ledger.ts';
import type { ChaosNodeOptions } from './node.ts';
import { submitSubject } from './probe-job.ts';

export interface ChaosOptions {
  readonly nodes: number;
  readonly jobs: number;
  readonly kills: number;
  readonly pauses: number;
  /** Graceful stops (SIGTERM → drain) followed by a restart. */
  readonly drains?: number;
  readonly seed: number;
  readonly restartRedis?: boolean;
  readonly restartNats?: boolean;
  /** Give up waiting for jobs after this long (the result then reports them lost). */
  readonly timeoutMs?: number;
  readonly log?: (line: string) => void;
}

export interface ChaosResult {
  readonly jobs: number;
  readonly lost: number;
  readonly duplicates: number;
  readonly takeover_p50_ms: number;
  readonly takeover_p99_ms: number;
  readonly kills: number;
  readonly pauses: number;
  readonly [extra: string]: unknown;
}

const TIMINGS = { leaseTtlMs: 3_000, leaseRenewMs: 1_000, heartbeatMs: 1_000, nodeDeadAfterMs: 3_000 };
const NODE_ENTRY = path.join(import.meta.dirname, 'node.ts');

/** mulberry32: a small seeded generator, so a seed replays the same schedule. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

class NodeProcess {
  readonly name: string;
  owner = '';
  state: 'running' | 'paused' | 'dead' = 'dead';
  #child: ChildProcess | undefined;
  readonly #options: ChaosNodeOptions;
  readonly #log: (line: string) => void;

  constructor(options: ChaosNodeOptions, log: (line: string) => void) {
    this.name = options.nodeName;
    this.#options = options;
    this.#log = log;
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, [NODE_ENTRY, JSON.stringify(this.#options)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    createInterface({ input: child.stderr }).on('line', (line) => this.#log(`[${this.name}] ${line}`));
    this.owner = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`${this.name} exited with ${code} before it was ready`)));
      createInterface({ input: child.stdout }).on('line', (line) => {
        const message = JSON.parse(line) as { event?: string; owner?: string };
        if (message.event === 'ready' && message.owner) resolve(message.owner);
      });
    });
    this.state = 'running';
  }

  kill(): void {
    this.#child?.kill('SIGKILL');
    this.state = 'dead';
  }

  pause(): void {
    this.#child?.kill('SIGSTOP');
    this.state = 'paused';
  }

  resume(): void {
    this.#child?.kill('SIGCONT');
    this.state = 'running';
  }

  /** SIGTERM and wait for the exit; returns how long the drain took. */
  async drain(): Promise<number> {
    const child = this.#child;
    if (!child) return 0;
    const startedAt = Date.now();
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    this.state = 'dead';
    await exited;
    return Date.now() - startedAt;
  }

  async terminate(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    if (this.state === 'paused') child.kill('SIGCONT');
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(5_000)]);
    child.kill('SIGKILL');
  }
}

function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
}

export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const log = options.log ?? (() => undefined);
  const random = seededRandom(options.seed);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'faxswitch-chaos-'));
  const servers: LocalServer[] = [];
  const nodes: NodeProcess[] = [];
  const ledger = new Ledger(() => 50 + Math.floor(random() * 250));
  let nats: NatsConnection | undefined;
  let observer: Redis | undefined;
  try {
    const redisServer = await createLocalRedis({ dataDir: path.join(dataDir, 'redis') });
    const natsServer = await createLocalNats({ dataDir: path.join(dataDir, 'nats') });
    servers.push(redisServer, natsServer);
    await Promise.all([redisServer.process.start(), natsServer.process.start()]);
    const ledgerUrl = await ledger.listen();
    const prefix = `chaos${options.seed}`;
    const keys = createKeys(prefix);
    observer = new Redis(redisServer.url, { maxRetriesPerRequest: null, retryStrategy: () => 100 });
    observer.on('error', () => undefined); // refused connections while Redis restarts are expected
    nats = await connect({ servers: natsServer.url, reconnectTimeWait: 100, maxReconnectAttempts: -1 });

    for (let i = 1; i <= options.nodes; i += 1) {
      nodes.push(
        new NodeProcess(
          {
            redisUrl: redisServer.url,
            natsUrl: natsServer.url,
            ledgerUrl,
            prefix,
            nodeName: `node-${i}`,
            graceMs: 5_000,
            timings: TIMINGS,
          },
          log,
        ),
      );
    }
    await Promise.all(nodes.map((node) => node.start()));

    // Jobs are submitted at a steady rate over a window long enough for every fault to play out
    // (a kill with its takeover and restart ≈3.5 s, a pause ≈6 s…); fault i starts once the share
    // i/(faults+1) of the jobs is submitted, so every fault lands among running jobs.
    const drains = options.drains ?? 0;
    const restarts = (options.restartRedis ? 1 : 0) + (options.restartNats ? 1 : 0);
    const faultCount = options.kills + options.pauses + drains + restarts;
    const windowMs = Math.max(
      10_000,
      options.kills * 3_500 + options.pauses * 6_000 + drains * 3_500 + restarts * 2_000 + 4_000,
    );
    let submitted = 0;
    const accepted = new Set<string>();
    const takeovers: number[] = [];
    const drainTakeovers: number[] = [];
    const drainExits: number[] = [];
    let kills = 0;
    let pauses = 0;
    const startedAt = Date.now();

    const submitter = (async () => {
      const client = nats;
      const concurrency = 32;
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < options.jobs) {
            const index = next++;
            const due = startedAt + (index / options.jobs) * windowMs;
            if (due > Date.now()) await sleep(due - Date.now());
            const jobId = `job-${index}`;
            const job = { jobId, notBefore: Date.now() + Math.floor(random() * 2_000) };
            for (;;) {
              try {
                const reply = (
                  await client.request(submitSubject(prefix), JSON.stringify(job), { timeout: 5_000 })
                ).json<{ ok: boolean }>();
                if (reply.ok) break;
              } catch {
                // no node answered (all busy restarting, NATS away): try again
              }
              await sleep(100);
            }
            accepted.add(jobId);
            submitted += 1;
          }
        }),
      );
    })();

    /** Measures, for each actor the killed owner held, how long until a peer holds its lease. */
    const watchTakeover = async (owner: string, killedAt: number, into: number[]): Promise<void> => {
      const ids = await observer!.smembers(keys.ownerIndex(owner));
      log(`${owner} held ${ids.length} actors`);
      const waiting = new Set(ids);
      while (waiting.size > 0 && Date.now() - killedAt < 30_000) {
        for (const id of [...waiting]) {
          const [lease, status] = await Promise.all([
            observer!.get(keys.actorLease(id)),
            observer!.hget(keys.actorState(id), 'status'),
          ]);
          const holder = lease?.slice(0, lease.lastIndexOf('|'));
          if ((holder !== undefined && holder !== owner) || status === 'done') {
            // An actor that finished was taken over and completed between two polls.
            into.push(Date.now() - killedAt);
            waiting.delete(id);
          }
        }
        await sleep(20);
      }
    };

    const pickRunning = (): NodeProcess | undefined =>
      pick(
        nodes.filter((node) => node.state === 'running'),
        random,
      );
    const faults: Array<() => Promise<void>> = [];
    for (let i = 0; i < options.kills; i += 1) {
      faults.push(async () => {
        const victim = pickRunning();
        if (!victim) return;
        const owner = victim.owner;
        victim.kill();
        kills += 1;
        const killedAt = Date.now();
        log(`kill -9 ${victim.name} (${owner})`);
        const watching = watchTakeover(owner, killedAt, takeovers);
        await sleep(300 + random() * 700);
        await victim.start();
        await watching;
      });
    }
    for (let i = 0; i < options.pauses; i += 1) {
      faults.push(async () => {
        const victim = pickRunning();
        if (!victim) return;
        victim.pause();
        pauses += 1;
        log(`SIGSTOP ${victim.name}`);
        await sleep(TIMINGS.leaseTtlMs + 1_000 + random() * 1_500);
        victim.resume();
        log(`SIGCONT ${victim.name}`);
      });
    }
    for (let i = 0; i < drains; i += 1) {
      faults.push(async () => {
        const victim = pickRunning();
        if (!victim) return;
        log(`SIGTERM ${victim.name}`);
        const watching = watchTakeover(victim.owner, Date.now(), drainTakeovers);
        drainExits.push(await victim.drain());
        await watching;
        await victim.start();
      });
    }
    if (options.restartRedis) {
      faults.push(async () => {
        log('restart redis-server');
        await redisServer.process.restart();
      });
    }
    if (options.restartNats) {
      faults.push(async () => {
        log('restart nats-server');
        await natsServer.process.restart();
      });
    }
    shuffle(faults, random);
    for (const [i, fault] of faults.entries()) {
      const threshold = ((i + 1) / (faultCount + 1)) * options.jobs;
      while (submitted < threshold) await sleep(50);
      await sleep(300 + random() * 500);
      await fault();
    }
    await submitter;

    // Every accepted job must reach `delivered` and be confirmed by the ledger.
    const deadline = Date.now() + (options.timeoutMs ?? 120_000);
    let unfinished = [...accepted];
    while (unfinished.length > 0 && Date.now() < deadline) {
      const pipeline = observer.pipeline();
      for (const id of unfinished) pipeline.hget(keys.actorState(id), 'status');
      const statuses = (await pipeline.exec()) ?? [];
      unfinished = unfinished.filter((_, i) => statuses[i]?.[1] !== 'done');
      if (unfinished.length > 0) await sleep(250);
    }
    let lost = 0;
    for (const id of accepted) {
      const snapshot = JSON.parse((await observer.hget(keys.actorState(id), 'snapshot')) ?? '{}') as {
        value?: unknown;
      };
      if (snapshot.value !== 'delivered' || ledger.confirmedCount(id) === 0) {
        lost += 1;
        log(`lost ${id}: state ${String(snapshot.value)}, confirmed ${ledger.confirmedCount(id)}`);
      }
    }
    const stats = ledger.stats();
    return {
      jobs: accepted.size,
      lost: lost + (options.jobs - accepted.size),
      duplicates: stats.duplicates,
      takeover_p50_ms: quantile(takeovers, 0.5),
      takeover_p99_ms: quantile(takeovers, 0.99),
      kills,
      pauses,
      taken_over_actors: takeovers.length,
      drains: drainExits.length,
      drain_exit_max_ms: Math.max(0, ...drainExits),
      drain_takeover_p99_ms: quantile(drainTakeovers, 0.99),
      stale_epoch_refusals: stats.staleRefusals,
      repeated_attempts: stats.repeatedAttempts,
      redis_restarted: options.restartRedis === true,
      nats_restarted: options.restartNats === true,
      seconds: Math.round((Date.now() - startedAt) / 100) / 10,
    };
  } finally {
    await Promise.all(nodes.map((node) => node.terminate()));
    await nats?.close().catch(() => undefined);
    observer?.disconnect();
    await ledger.close().catch(() => undefined);
    await Promise.all(servers.map((server) => server.process.stop(2_000).catch(() => undefined)));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function pick<T>(items: readonly T[], random: () => number): T | undefined {
  return items[Math.floor(random() * items.length)];
}

function shuffle<T>(items: T[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
}
