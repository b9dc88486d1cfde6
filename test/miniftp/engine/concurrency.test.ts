// 100 sessions at once, each logging in (through a hand-over) and doing a
// download and an upload, checked byte for byte; then nothing is left open.
import crypto from 'node:crypto';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../helpers/ftp-harness.js';
import { fixture, openFdCount, waitFor } from '../../helpers/process.js';

const run = promisify(execFile);

describe('engine: 100 concurrent sessions', () => {
  let h: Harness;
  const payload = crypto.randomBytes(256 * 1024);
  const digest = crypto.createHash('sha256').update(payload).digest('hex');

  beforeAll(async () => {
    h = await startHarness();
    fs.writeFileSync(h.file('alice', 'shared.bin'), payload);
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('each does a transfer both ways; all bytes arrive; no fd is left behind', async () => {
    const baseline = openFdCount();
    const { stdout } = await run('python3', [fixture('ftp_concurrent.py'), String(h.port), '100', 'alice', 'secret', 'shared.bin'], { timeout: 150_000 });
    const { digests, errors } = JSON.parse(stdout) as { digests: string[]; errors: string[] };
    expect(errors).toEqual([]);
    expect(digests).toEqual(new Array(100).fill(digest));
    for (let n = 0; n < 100; n++) expect(fs.readFileSync(h.file('alice', `up-${n}.bin`)).equals(payload), `up-${n}.bin`).toBe(true);
    expect(h.handovers).toBeGreaterThanOrEqual(100);
    const transfers = h.events.filter((e) => e.type === 'transfer' && e.result === 'ok');
    expect(transfers.length).toBe(200);
    await h.settled();
    await waitFor(() => openFdCount() <= baseline, 10_000, 'the fd count to return to its baseline');
  });
});
