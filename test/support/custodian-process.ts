/** `src/main.ts api|worker` (or the built entry point) as child processes in production mode, their output kept for assertions. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
/** How long a child gets to stop on SIGTERM before it is killed. */
const STOP_GRACE_MS = 10_000;

export interface CustodianProcess {
  readonly role: 'api' | 'worker';
  readonly child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Whether the process is still running. */
  alive(): boolean;
  /** SIGTERM, then SIGKILL after a grace period; resolves once it has exited. */
  stop(): Promise<void>;
}

/** How to run Custodian: from the sources through tsx (default), or another command line (e.g. the image's built entry point). */
export interface ProcessCommand {
  /** argv before the role, `node` first (run as this Node binary). */
  argv: readonly string[];
  cwd: string;
}

const FROM_SOURCES: ProcessCommand = { argv: ['node', '--require', 'tsx/cjs', 'src/main.ts'], cwd: ROOT };

/** Starts one process with exactly these variables (plus PATH and HOME). */
export function startCustodianProcess(role: 'api' | 'worker', env: Record<string, string>, command: ProcessCommand = FROM_SOURCES): CustodianProcess {
  const [program, ...args] = command.argv;
  const child = spawn(program === 'node' ? process.execPath : program!, [...args, role], {
    cwd: command.cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    role,
    child,
    output: () => text,
    alive,
    stop: async () => {
      if (!alive()) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls `url` until it answers 200, the process exits, or `timeoutMs` passes; returns the last status (0: no answer). */
export async function waitForStatus200(url: string, child: CustodianProcess, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let status = 0;
  while (Date.now() < deadline && child.alive()) {
    status = await fetch(url).then((response) => response.status, () => 0);
    if (status === 200) return status;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return status;
}

/** Polls the process's output until it contains `text`, the process exits, or `timeoutMs` passes. */
export async function waitForOutput(child: CustodianProcess, text: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && child.alive()) {
    if (child.output().includes(text)) return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return child.output().includes(text);
}
