// syslog_enable's writer against a real unix datagram socket (a receiver
// bound at a path of the test's own, standing in for /dev/log), and the
// start refused when /dev/log takes no datagrams.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { connectUnixDatagram } from 'privsep';
import { SyslogWriter } from '../../examples/miniftp/syslog-writer.js';
import { startMiniftp } from '../helpers/miniftp-server.js';
import { requireRoot } from '../helpers/root.js';

const RECEIVER = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(20)
print('ready', flush=True)
for _ in range(2):
    sys.stdout.buffer.write(s.recv(65536) + b'\\n')
sys.stdout.flush()
`;

describe('SyslogWriter', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'miniftp-syslog-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('sends each line as one datagram: facility FTP, warning for a failed login, tag miniftp[pid]', async () => {
    const address = path.join(dir, 'log');
    const receiver = spawn('python3', ['-c', RECEIVER, address], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    receiver.stdout.on('data', (d) => (out += d));
    const exited = new Promise((r) => receiver.once('exit', r));
    for (let i = 0; i < 200 && !out.startsWith('ready'); i++) await new Promise((r) => setTimeout(r, 50));
    const writer = new SyslogWriter(address);
    writer.write('[pid 7] [anna] OK LOGIN: Client "127.0.0.1"', false);
    writer.write('[pid 7] [anna] FAIL LOGIN: Client "127.0.0.1"', true);
    await exited;
    const lines = out.split('\n').slice(1, 3);
    expect(lines[0]).toMatch(new RegExp(`^<94>[A-Z][a-z]{2} [ 1-3]\\d \\d\\d:\\d\\d:\\d\\d miniftp\\[${process.pid}\\]: \\[pid 7\\] \\[anna\\] OK LOGIN: Client "127.0.0.1"$`));
    expect(lines[1]).toMatch(/^<92>.* FAIL LOGIN: /);
  });

  test('a path where nothing listens is refused with the errno, as Node reports it', () => {
    expect(() => connectUnixDatagram(path.join(dir, 'none'))).toThrow(expect.objectContaining({ code: 'ENOENT', syscall: 'connect' }));
  });
});

const devLog = fs.existsSync('/dev/log');
describe.skipIf(!requireRoot('miniftp syslog_enable start') || devLog)('miniftp syslog_enable without a syslog daemon', () => {
  test('the start is refused, naming syslog_enable and /dev/log', async () => {
    const started = startMiniftp({ syslog_enable: 'YES' });
    await expect(started).rejects.toThrow(/syslog_enable: the system log's \/dev\/log takes no datagrams \(ENOENT\)/);
  });
});
