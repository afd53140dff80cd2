import { ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ServiceSpec {
  name: string;
  /** script path (compiled JS) */
  script: string;
  env: Record<string, string>;
  /** URL polled until it answers 200 */
  readyUrl: string;
}

/**
 * Runs services as real child processes, prefixing their output, and stops all
 * of them together (SIGTERM, then SIGKILL after a grace period).
 */
export class ProcessGroup {
  private readonly children = new Map<string, ChildProcess>();
  /** what each service was started with, so a drill can start it again the same way */
  private readonly specs = new Map<string, ServiceSpec>();
  private stopping = false;

  constructor(private readonly opts: { quiet?: boolean; onExit?: (name: string, code: number | null) => void } = {}) {}

  async start(spec: ServiceSpec, timeoutMs = 60_000): Promise<void> {
    // EVCS_CPU_PROF=<dir>:<service,…> profiles those services (benchmarks; written on exit).
    const [profDir, profiled] = (process.env.EVCS_CPU_PROF ?? '').split(':');
    const prof = profDir && profiled?.split(',').includes(spec.name) ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
    const child = spawn(process.execPath, ['--enable-source-maps', ...prof, spec.script], {
      env: { ...process.env, ...spec.env, EVCS_EXIT_WITH_PARENT: '1' },
      // stdin is a pipe we never write to: it closes when this process dies, and the child stops (exitWithParent).
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.children.set(spec.name, child);
    this.specs.set(spec.name, spec);
    const tail: string[] = [];
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        tail.push(line);
        if (tail.length > 50) tail.shift();
        if (!this.opts.quiet) process.stdout.write(`[${spec.name}] ${line}\n`);
      });
    }
    let exited = false;
    child.once('exit', (code) => {
      exited = true;
      this.children.delete(spec.name);
      if (!this.stopping) this.opts.onExit?.(spec.name, code);
    });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (exited) throw new Error(`${spec.name} exited during start-up:\n${tail.join('\n')}`);
      try {
        const res = await fetch(spec.readyUrl);
        if (res.ok) return;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) throw new Error(`${spec.name} not ready after ${timeoutMs} ms:\n${tail.join('\n')}`);
      await new Promise((r) => setTimeout(r, 150));
    }
  }

  /** The process id of a running service. */
  pid(name: string): number | undefined {
    return this.children.get(name)?.pid;
  }

  /** Kill one service abruptly (for crash tests). */
  kill(name: string, signal: NodeJS.Signals = 'SIGKILL'): void {
    this.children.get(name)?.kill(signal);
  }

  /** Names of the services started so far (running or not). */
  names(): string[] {
    return [...this.specs.keys()];
  }

  /** The readiness URL a service was started with. */
  readyUrl(name: string): string | undefined {
    return this.specs.get(name)?.readyUrl;
  }

  /** SIGKILL a service and wait until it is gone: a crash, not a shutdown (fault drills). */
  async crash(name: string): Promise<void> {
    const child = this.children.get(name);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await gone;
  }

  /** Start a service again with the spec it was first started with (after a crash). */
  async restart(name: string, timeoutMs = 60_000): Promise<void> {
    const spec = this.specs.get(name);
    if (!spec) throw new Error(`no service named ${name}`);
    await this.crash(name);
    await this.start(spec, timeoutMs);
  }

  async stopAll(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    const all = [...this.children.values()];
    await Promise.all(
      all.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            const t = setTimeout(() => c.kill('SIGKILL'), graceMs);
            c.once('exit', () => (clearTimeout(t), resolve()));
            c.kill('SIGTERM');
          }),
      ),
    );
    this.children.clear();
  }
}
