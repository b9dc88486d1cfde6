// syslog_enable's writer against a real unix datagram socket (a receiver
// bound at a path of the test's own, standing in for /dev/log), the start
// refused when /dev/log takes no datagrams, and the server's lines reaching
// a receiver bound at /dev/log itself where no syslog daemon has it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { connectUnixDatagram } from 'privsep';
import { SyslogWriter } from '../../examples/miniftp/syslog-writer.js';
import { ftplibLoginReply } from '../helpers/ftp-clients.js';
import { createUser, startMiniftp } from '../helpers/miniftp-server.js';
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

// Reads datagrams until one of miniftp's says OK LOGIN (other programs, PAM
// modules among them, may log meanwhile), for at most 20 s.
const LOGIN_WATCHER = `
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print('ready', flush=True)
deadline = time.time() + 20
while time.time() < deadline:
    s.settimeout(max(0.1, deadline - time.time()))
    try:
        line = s.recv(65536)
    except socket.timeout:
        break
    if b'miniftp[' in line:
        sys.stdout.buffer.write(line + b'\\n')
        sys.stdout.flush()
        if b'OK LOGIN' in line:
            break
`;

describe.skipIf(!requireRoot('miniftp syslog_enable end to end') || devLog)('miniftp syslog_enable with /dev/log', () => {
  test('the server\'s log lines go to /dev/log as datagrams of facility FTP', async () => {
    const user = createUser('mfsyslog', 'syslog-secret');
    const receiver = spawn('python3', ['-c', LOGIN_WATCHER, '/dev/log'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    receiver.stdout.on('data', (d) => (out += d));
    const exited = new Promise((r) => receiver.once('exit', r));
    let server: Awaited<ReturnType<typeof startMiniftp>> | null = null;
    try {
      for (let i = 0; i < 200 && !out.startsWith('ready'); i++) await new Promise((r) => setTimeout(r, 50));
      expect(out).toMatch(/^ready/);
      server = await startMiniftp({ syslog_enable: 'YES' });
      expect(await ftplibLoginReply(server.port, user.name, 'syslog-secret')).toMatch(/^230 /);
      await exited;
      expect(out).toMatch(new RegExp(`^<94>[A-Z][a-z]{2} [ 1-3]\\d \\d\\d:\\d\\d:\\d\\d miniftp\\[\\d+\\]: .*\\[${user.name}\\] OK LOGIN: Client "127\\.0\\.0\\.1"$`, 'm'));
    } finally {
      await server?.stop();
      receiver.kill();
      fs.rmSync('/dev/log', { force: true });
      user.remove();
    }
  });
});
