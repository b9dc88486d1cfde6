// chown_uploads when the host cannot give the upload away: the STOR gets
// 553 and leaves no empty file behind; a file that was there before stays.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { passiveData, rawLogin } from '../../helpers/ftp-clients.js';
import { startHarness, type Harness } from '../../helpers/ftp-harness.js';

describe('chown_uploads refused by the host', () => {
  let h: Harness;
  let asked = 0;

  beforeAll(async () => {
    h = await startHarness({
      options: { anonUploadEnable: true, anonOtherWriteEnable: true, chownUploads: true, anonUmask: 0o022 },
      chownUpload: () => {
        asked++;
        return Promise.reject(Object.assign(new Error('refused'), { code: 'EPERM' }));
      },
    });
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('answers 553 and removes the file it created; a file that was there stays as it was', async () => {
    fs.writeFileSync(h.file('anonymous', 'there.txt'), 'was here\n');
    const client = await rawLogin(h.port, 'anonymous', 'guest@');
    for (const name of ['new.txt', 'there.txt']) {
      const data = await passiveData(client);
      expect((await client.command(`STOR ${name}`)).code).toBe(553);
      data.destroy();
    }
    expect(asked).toBe(2);
    expect(fs.existsSync(h.file('anonymous', 'new.txt'))).toBe(false);
    expect(fs.readFileSync(h.file('anonymous', 'there.txt'), 'utf8')).toBe('was here\n');
    // STOU's own name, likewise.
    const data = await passiveData(client);
    expect((await client.command('STOU')).code).toBe(553);
    data.destroy();
    expect(fs.readdirSync(h.file('anonymous', '.')).sort()).toEqual(['there.txt']);
    expect((await client.command('NOOP')).code).toBe(200);
    client.destroy();
  });
});
