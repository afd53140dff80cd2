import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { eventually } from '@evcs/testkit';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** A supervisor that dies — even by SIGKILL, with no chance to clean up — leaves no service behind holding its port. */
describe('dev stack processes', () => {
  it('a child started through ProcessGroup stops when its supervisor is SIGKILLed', async () => {
    const supervisor = spawn(process.execPath, [path.join(__dirname, 'fixtures/supervisor.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: supervisor.stdout }).once('line', resolve);
      supervisor.once('exit', (code) => reject(new Error(`supervisor exited (${code})`)));
    });
    const { pid } = JSON.parse(line) as { pid: number };
    expect(alive(pid)).toBe(true);
    supervisor.kill('SIGKILL');
    await eventually(async () => !alive(pid), { timeoutMs: 10_000, what: 'the orphaned child gone' });
  });
});
