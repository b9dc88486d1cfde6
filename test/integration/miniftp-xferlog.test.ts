// miniftp's standard logs with real clients: the wu-ftpd xferlog line
// (xferlog_std_format) read back field by field for uploads, downloads
// (anonymous and real) and a download the client broke off; dual_log_enable
// writing both logs, log_ftp_protocol's commands and replies with the
// password masked, and use_localtime's time stamps.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { curl, ftplibSteps } from '../helpers/ftp-clients.js';
import { createUser, startMiniftp, type RunningMiniftp, type TestUser } from '../helpers/miniftp-server.js';
import { waitFor } from '../helpers/process.js';
import { requireRoot } from '../helpers/root.js';
import { needTools } from '../helpers/tools.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

interface XferlogRecord {
  /** current-time as milliseconds, read as if it were UTC. */
  time: number;
  transferTime: number;
  remoteHost: string;
  fileSize: number;
  filename: string;
  transferType: string;
  specialAction: string;
  direction: string;
  accessMode: string;
  username: string;
  serviceName: string;
  authMethod: string;
  authUserId: string;
  completion: string;
}

// man 5 xferlog: a ctime(3) time, then 13 more fields separated by single spaces.
const XFERLOG_LINE = /^(Sun|Mon|Tue|Wed|Thu|Fri|Sat) ([A-Z][a-z]{2}) ([ 1-3]\d) (\d\d):(\d\d):(\d\d) (\d{4}) (\S+(?: \S+){12})$/;

/** Parses one xferlog line; throws naming what does not fit the layout. */
function parseXferlog(line: string): XferlogRecord {
  const match = XFERLOG_LINE.exec(line);
  if (!match) throw new Error(`not an xferlog line: ${JSON.stringify(line)}`);
  const [, , month, day, hours, minutes, seconds, year, rest] = match;
  const month0 = MONTHS.indexOf(month!);
  if (month0 < 0) throw new Error(`bad month in ${line}`);
  const fields = rest!.split(' ');
  const [transferTime, remoteHost, fileSize, filename, transferType, specialAction, direction, accessMode, username, serviceName, authMethod, authUserId, completion] = fields as [string, ...string[]];
  if (!/^\d+$/.test(transferTime) || !/^\d+$/.test(fileSize!)) throw new Error(`bad number in ${line}`);
  for (const [name, value, allowed] of [
    ['transfer-type', transferType, /^[ab]$/], ['special-action-flag', specialAction, /^[CUT_]$/], ['direction', direction, /^[oid]$/],
    ['access-mode', accessMode, /^[agr]$/], ['completion-status', completion, /^[ci]$/], ['authentication-method', authMethod, /^[01]$/],
  ] as const) {
    if (!allowed.test(value!)) throw new Error(`bad ${name} ${JSON.stringify(value)} in ${line}`);
  }
  return {
    time: Date.UTC(Number(year), month0, Number(day), Number(hours), Number(minutes), Number(seconds)),
    transferTime: Number(transferTime), remoteHost: remoteHost!, fileSize: Number(fileSize), filename: filename!,
    transferType: transferType!, specialAction: specialAction!, direction: direction!, accessMode: accessMode!, username: username!,
    serviceName: serviceName!, authMethod: authMethod!, authUserId: authUserId!, completion: completion!,
  };
}

const readLines = (file: string): string[] => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').slice(0, -1) : []);

describe.skipIf(!requireRoot('miniftp xferlog'))('miniftp xferlog_std_format', () => {
  let server: RunningMiniftp;
  let user: TestUser;
  let xferlog: string;
  const password = 'xfer-secret';
  const content = 'x'.repeat(1500);

  beforeAll(async () => {
    user = createUser('mfx', password);
    fs.writeFileSync(path.join(user.home, 'down load.txt'), content);
    fs.writeFileSync(path.join(user.home, 'big.bin'), '');
    fs.truncateSync(path.join(user.home, 'big.bin'), 256 << 20);
    xferlog = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'miniftp-xferlog-')), 'xferlog');
    server = await startMiniftp({ write_enable: 'YES', anonymous_enable: 'YES', xferlog_std_format: 'YES', xferlog_file: xferlog });
    fs.writeFileSync(path.join(server.anonymous!.home, 'pub.txt'), 'public\n');
  });

  afterAll(async () => {
    await server?.stop();
    user?.remove();
    if (xferlog) fs.rmSync(path.dirname(xferlog), { recursive: true, force: true });
  });

  it('writes one parseable line per upload and download, real and anonymous, and a broken-off download as incomplete', async (ctx) => {
    needTools(ctx, 'curl');
    const started = Date.now();
    const url = (file: string, auth = true) => `ftp://${auth ? `${user.name}:${password}@` : ''}127.0.0.1:${server.port}${file}`;
    const upload = path.join(server.dir, 'up.txt');
    fs.writeFileSync(upload, 'uploaded bytes\n');
    await curl(['-T', upload, url('/up%20with%20space.txt')]);
    expect((await curl([url('/down%20load.txt')])).stdout).toBe(content);
    expect((await curl([url('/pub.txt', false)])).stdout).toBe('public\n');
    // The client stops reading and goes away while the server is still sending.
    await expect(curl(['--limit-rate', '100k', '-o', '/dev/null', url('/big.bin')], 2000)).rejects.toThrow();

    await waitFor(() => readLines(xferlog).length >= 4, 15_000, 'four xferlog lines');
    await new Promise((r) => setTimeout(r, 300));
    const records = readLines(xferlog).map(parseXferlog);
    expect(records).toHaveLength(4);
    for (const r of records) {
      expect(r).toMatchObject({ remoteHost: '127.0.0.1', transferType: 'b', specialAction: '_', serviceName: 'ftp', authMethod: '0', authUserId: '*' });
      expect(r.transferTime).toBeGreaterThanOrEqual(1);
      // use_localtime=NO: the time is UTC, so reading it as UTC gives now.
      expect(r.time).toBeGreaterThanOrEqual(Math.floor(started / 1000) * 1000 - 60_000);
      expect(r.time).toBeLessThanOrEqual(Date.now() + 60_000);
    }
    const [up, down, anon, broken] = records;
    expect(up).toMatchObject({ direction: 'i', accessMode: 'r', username: user.name, filename: `${user.home}/up_with_space.txt`, fileSize: 15, completion: 'c' });
    expect(down).toMatchObject({ direction: 'o', accessMode: 'r', username: user.name, filename: `${user.home}/down_load.txt`, fileSize: 1500, completion: 'c' });
    expect(anon).toMatchObject({ direction: 'o', accessMode: 'a', filename: '/pub.txt', fileSize: 7, completion: 'c' });
    expect(broken).toMatchObject({ direction: 'o', accessMode: 'r', filename: `${user.home}/big.bin`, completion: 'i' });
    expect(broken!.fileSize).toBeLessThan(256 << 20);
    // xferlog_std_format alone: no vsftpd-style log.
    expect(readLines(server.logFile)).toEqual([]);
  });
});

describe.skipIf(!requireRoot('miniftp dual log'))('miniftp dual_log_enable, log_ftp_protocol, use_localtime', () => {
  let server: RunningMiniftp;
  let user: TestUser;
  let xferlog: string;
  const password = 'dual-secret-pw';
  const savedTz = process.env.TZ;

  beforeAll(async () => {
    user = createUser('mfd', password);
    fs.writeFileSync(path.join(user.home, 'f.txt'), 'hello\n');
    // A zone 5h30 east of UTC all year (Node's ICU knows it without tzdata).
    process.env.TZ = 'Asia/Kolkata';
    xferlog = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'miniftp-xferlog-')), 'xferlog');
    try {
      server = await startMiniftp({ xferlog_enable: 'NO', dual_log_enable: 'YES', log_ftp_protocol: 'YES', use_localtime: 'YES', xferlog_file: xferlog });
    } finally {
      if (savedTz === undefined) delete process.env.TZ;
      else process.env.TZ = savedTz;
    }
  });

  afterAll(async () => {
    await server?.stop();
    user?.remove();
    if (xferlog) fs.rmSync(path.dirname(xferlog), { recursive: true, force: true });
  });

  it('writes both logs; commands and replies with PASS masked; local times', async () => {
    const before = Date.now();
    const steps = await ftplibSteps(server.port, { user: user.name, password, steps: [{ op: 'retr', path: 'f.txt' }, { op: 'quit' }] });
    expect(steps.filter((s) => s.error)).toEqual([]);
    await waitFor(() => readLines(xferlog).length >= 1 && readLines(server.logFile).some((l) => l.includes('DISCONNECT')), 15_000, 'both logs');
    const [line, ...more] = readLines(xferlog);
    expect(more).toEqual([]);
    const record = parseXferlog(line!);
    expect(record).toMatchObject({ direction: 'o', accessMode: 'r', username: user.name, filename: `${user.home}/f.txt`, fileSize: 6, completion: 'c' });
    // use_localtime=YES: the stamp is 5h30 ahead of UTC.
    const shift = 5.5 * 3600_000;
    expect(record.time).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + shift - 60_000);
    expect(record.time).toBeLessThanOrEqual(Date.now() + shift + 60_000);

    const log = readLines(server.logFile);
    const text = log.join('\n');
    expect(text).not.toContain(password);
    const protocol = (kind: string, what: string) => log.filter((l) => l.includes(`FTP ${kind}: Client "127.0.0.1", "${what}"`));
    expect(protocol('response', '220 (miniftp)')).toHaveLength(1);
    expect(protocol('command', `USER ${user.name}`)).toHaveLength(1);
    expect(protocol('command', 'PASS <password>')).toHaveLength(1);
    expect(protocol('response', '230 Login successful.')).toHaveLength(1);
    expect(protocol('command', 'RETR f.txt')).toHaveLength(1);
    expect(protocol('command', 'QUIT')).toHaveLength(1);
    expect(log.filter((l) => l.includes(`OK DOWNLOAD: Client "127.0.0.1", "${user.home}/f.txt", 6 bytes`))).toHaveLength(1);
    for (const l of log) expect(l).toMatch(/^(Sun|Mon|Tue|Wed|Thu|Fri|Sat) [A-Z][a-z]{2} [ 1-3]\d \d\d:\d\d:\d\d \d{4} \[pid \d+\] /);
  });
});
