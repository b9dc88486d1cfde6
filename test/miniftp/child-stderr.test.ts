import { afterEach, describe, expect, test, vi } from 'vitest';
import { spawnWithCredentials } from 'privsep';
import { ChildStderr } from '../../examples/miniftp/master/child-stderr.js';
import { waitFor } from '../helpers/process.js';

describe('ChildStderr', () => {
  afterEach(() => vi.restoreAllMocks());

  test('copies a child\'s stderr to the master\'s, line by line, labelled and escaped, up to a bound', async () => {
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const stderr = new ChildStderr();
    const script = "process.stderr.write('first\\x1b[2J line\\nsecond\\u2028'); process.stderr.write('x'.repeat(200000) + '\\nlost\\n')";
    const child = spawnWithCredentials(process.execPath, ['-e', script], { fds: { 2: stderr.childEnd } });
    stderr.childEnd.close();
    stderr.forward('worker 7');
    expect((await child.exited).code).toBe(0);
    await waitFor(() => written.some((w) => w.includes('more output dropped')), 5000, 'the bound');
    vi.restoreAllMocks();
    expect(written[0]).toBe('miniftp: worker 7: first\\x1b[2J line\n');
    expect(written[1]).toMatch(/^miniftp: worker 7: second\\u2028x{1000,2000}\n$/);
    expect(written.at(-1)).toBe('miniftp: worker 7: more output dropped\n');
    expect(written.join('')).not.toContain('lost');
  });
});
