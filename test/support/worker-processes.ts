/**
 * Custodian workers as an operator runs them: `src/main.ts worker` in their own processes, in production
 * mode (a PostgreSQL server, a Temporal server, ENCRYPTION_KEYS), stopped by real signals. Every process
 * started here is SIGKILLed by `killAll()` and, as a last resort, when the test process exits.
 */
import { ALWAYS_REFRESH } from './refresh-policy';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = path.join(__dirname, '..', '..');
/** A worker that has not logged "worker running" by then is reported as failed to start. */
const READY_TIMEOUT_MS = 60_000;
/** A signalled worker that has not exited by then is SIGKILLed (and the stop reported as failed). */
const EXIT_TIMEOUT_MS = 30_000;

export interface WorkerProcessSettings {
  databaseUrl: string;
  temporalAddress: string;
  taskQueue: string;
  encryptionKey: Buffer;
  /** Nango-format catalog with the fake provider (PROVIDERS_FILE). */
  providersFile: string;
}

/** One spawned worker process. */
export interface WorkerProcess {
  readonly child: ChildProcess;
  /** Resolves once the process logged "worker running"; rejects when it exits or stays silent first. */
  readonly ready: Promise<void>;
}

/** Starts and stops worker processes for one test file. */
export class WorkerProcesses {
  private readonly children = new Set<ChildProcess>();
  private readonly killOnExit = () => {
    for (const child of this.children) child.kill('SIGKILL');
  };

  constructor() {
    process.on('exit', this.killOnExit);
  }

  /** Spawns `src/main.ts worker` with exactly these settings (nothing else inherited but PATH and HOME). */
  start(settings: WorkerProcessSettings): WorkerProcess {
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', 'src/main.ts', 'worker'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        DATABASE_URL: settings.databaseUrl,
        TEMPORAL_ADDRESS: settings.temporalAddress,
        TEMPORAL_TASK_QUEUE: settings.taskQueue,
        ENCRYPTION_KEYS: `test=${settings.encryptionKey.toString('base64')}`,
        PROVIDERS_FILE: settings.providersFile,
        ...ALWAYS_REFRESH,
        // info: the "worker running" line tells when it polls; everything else it logs is dropped.
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    const ready = readyLine(child);
    ready.catch(() => undefined); // a worker killed before it was running is no unhandled rejection
    return { child, ready };
  }

  /** Sends `signal` and waits for the process to exit. */
  async stop(worker: WorkerProcess, signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
    const { child } = worker;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), EXIT_TIMEOUT_MS);
    try {
      await exited;
    } finally {
      clearTimeout(timer);
    }
    if (signal === 'SIGTERM' && child.signalCode === 'SIGKILL') throw new Error(`the worker did not exit within ${EXIT_TIMEOUT_MS} ms of SIGTERM`);
  }

  /** SIGKILLs every process still running and waits for each to exit. */
  async killAll(): Promise<void> {
    const running = [...this.children];
    await Promise.all(running.map((child) => this.stop({ child, ready: Promise.resolve() }, 'SIGKILL')));
  }
}

function readyLine(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error(`the worker did not start within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    const onExit = () => {
      clearTimeout(timer);
      reject(new Error(`the worker exited before it was running (${child.exitCode ?? child.signalCode})`));
    };
    child.once('exit', onExit);
    lines.on('line', (line) => {
      if (!line.includes('"msg":"worker running"')) return;
      clearTimeout(timer);
      child.removeListener('exit', onExit);
      resolve();
    });
  });
}
