// user_config_dir: a file of settings per user name, read by the master at
// login, with real accounts and real clients against the real server; and
// the names and files that are never read.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig, parseConfig } from '../../examples/miniftp/config.js';
import { userSettings } from '../../examples/miniftp/master/user-config-privileged.js';
import { ftplibLoginReply, ftplibSteps } from '../helpers/ftp-clients.js';
import { createUser, startMiniftp, type RunningMiniftp, type TestUser } from '../helpers/miniftp-server.js';
import { requireRoot } from '../helpers/root.js';
import { addUser, removeCreated, setPassword, uniqueName } from '../helpers/users.js';

const PASSWORD = 'userconf-secret';

async function command(port: number, user: string, line: string): Promise<string> {
  const [, login, result] = await ftplibSteps(port, { user, password: PASSWORD, steps: [{ op: 'cmd', line }] });
  expect(login!.reply).toMatch(/^230 /);
  return result!.reply ?? result!.error!;
}

describe.skipIf(!requireRoot('miniftp user_config_dir'))('miniftp user_config_dir', () => {
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let dir: string;
  let server: RunningMiniftp;

  beforeAll(async () => {
    alice = createUser('mfuca', PASSWORD);
    bob = createUser('mfucb', PASSWORD);
    carol = createUser('mfucc', PASSWORD);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'miniftp-userconf-'));
    const start = path.join(alice.home, 'start');
    fs.mkdirSync(start);
    fs.chownSync(start, alice.uid, alice.gid);
    fs.writeFileSync(path.join(dir, alice.name), `# alice may write\nwrite_enable=YES\nlocal_root=${start}\n`);
    fs.writeFileSync(path.join(dir, carol.name), 'write_enable=YES\nlisten_port=2121\n');
    server = await startMiniftp({ user_config_dir: dir, write_enable: 'NO', local_enable: 'YES' });
  });

  afterAll(async () => {
    await server?.stop();
    for (const user of [alice, bob, carol]) user?.remove();
    removeCreated();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lets the user whose file sets write_enable=YES write, and not another user', async () => {
    expect(await command(server.port, alice.name, 'MKD made-by-alice')).toMatch(/^257 /);
    expect(fs.statSync(path.join(alice.home, 'start', 'made-by-alice')).uid).toBe(alice.uid);
    expect(await command(server.port, bob.name, 'MKD made-by-bob')).toMatch(/^550 /);
    expect(fs.existsSync(path.join(bob.home, 'made-by-bob'))).toBe(false);
  });

  it('starts the user in the local_root of its file; others in their home', async () => {
    expect(await command(server.port, alice.name, 'PWD')).toBe(`257 "${path.join(alice.home, 'start')}" is the current directory`);
    expect(await command(server.port, bob.name, 'PWD')).toBe(`257 "${bob.home}" is the current directory`);
  });

  it('gives a user with settings of its own a worker of its own: another account of the same uid gets neither its worker nor its settings', async () => {
    const twin = uniqueName('mfuct');
    addUser(twin, { uid: alice.uid, gid: alice.gid, home: bob.home, shell: '/bin/sh' });
    setPassword(twin, PASSWORD, 'SHA512');
    const workersOf = () => server.processes().workers
      .filter((pid) => new RegExp(`^Uid:\\t${alice.uid}\\t`, 'm').test(fs.readFileSync(`/proc/${pid}/status`, 'utf8')));
    expect(await command(server.port, alice.name, 'NOOP')).toMatch(/^200 /);
    const alicesWorkers = workersOf();
    expect(alicesWorkers).toHaveLength(1);
    // Alice's worker (idle, kept a while) would let the same uid write if it took this session.
    expect(await command(server.port, twin, 'MKD made-by-twin')).toMatch(/^550 /);
    expect(fs.existsSync(path.join(bob.home, 'made-by-twin'))).toBe(false);
    const both = workersOf();
    expect(both).toHaveLength(2);
    expect(both).toEqual(expect.arrayContaining(alicesWorkers));
  });

  it('gives two accounts of the same ids their own session names and homes', async () => {
    const twin = uniqueName('mfucd');
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'miniftp-userconf-twin-'));
    fs.chownSync(home, bob.uid, bob.gid);
    try {
      addUser(twin, { uid: bob.uid, gid: bob.gid, home, shell: '/bin/sh' });
      setPassword(twin, PASSWORD, 'SHA512');
      expect(await command(server.port, bob.name, 'PWD')).toBe(`257 "${bob.home}" is the current directory`);
      // Bob's worker is still there, idle: the twin's session must not take Bob's name and home with it.
      expect(await command(server.port, twin, 'PWD')).toBe(`257 "${home}" is the current directory`);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  it('refuses the login of a user whose file sets what a user may not, with a log line naming file, line and setting; others still log in', async () => {
    expect(await ftplibLoginReply(server.port, carol.name, PASSWORD)).toMatch(/^530 /);
    expect(server.output()).toContain(`miniftp: login of "${carol.name}" refused: ${path.join(dir, carol.name)}:2: listen_port cannot be set per user`);
    fs.writeFileSync(path.join(dir, carol.name), 'write_enable=MAYBE\n');
    expect(await ftplibLoginReply(server.port, carol.name, PASSWORD)).toMatch(/^530 /);
    expect(server.output()).toContain(`${path.join(dir, carol.name)}:1: bad value "MAYBE" for write_enable`);
    expect(await ftplibLoginReply(server.port, bob.name, PASSWORD)).toMatch(/^230 /);
    expect(await ftplibLoginReply(server.port, alice.name, PASSWORD)).toMatch(/^230 /);
  });
});

describe('user_config_dir files and names', () => {
  let dir: string;
  let config: ReturnType<typeof defaultConfig>;

  beforeAll(() => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'miniftp-userconf-names-'));
    dir = path.join(root, 'users');
    fs.mkdirSync(dir);
    // Files a name could reach outside the directory, or hidden in it: each would refuse the login if read.
    fs.writeFileSync(path.join(root, 'outside'), 'listen_port=21\n');
    fs.writeFileSync(path.join(dir, '.hidden'), 'listen_port=21\n');
    fs.writeFileSync(path.join(dir, 'target'), 'write_enable=YES\n');
    fs.symlinkSync(path.join(dir, 'target'), path.join(dir, 'linked'));
    fs.mkdirSync(path.join(dir, 'adir'));
    config = parseConfig(`user_config_dir=${dir}\n`, 'main.conf');
  });

  afterAll(() => fs.rmSync(path.dirname(dir), { recursive: true, force: true }));

  it('reads no file for a name with / or .., or starting with a dot', async () => {
    for (const name of ['../outside', '..', '.hidden', 'a/../../outside', '']) {
      expect(await userSettings(config, name)).toBe(config);
    }
  });

  it('uses the server\'s settings when the user has no file, and the file\'s when it has one', async () => {
    expect(await userSettings(config, 'nobody-here')).toBe(config);
    expect((await userSettings(config, 'target')).write_enable).toBe(true);
  });

  it('refuses a symbolic link and a directory instead of following or reading them', async () => {
    await expect(userSettings(config, 'linked')).rejects.toThrow(`${path.join(dir, 'linked')}: is a symbolic link`);
    await expect(userSettings(config, 'adir')).rejects.toThrow(`${path.join(dir, 'adir')}: is not a regular file`);
  });

  it('reads the file anonymous for every anonymous name', async () => {
    fs.writeFileSync(path.join(dir, 'anonymous'), 'anon_upload_enable=YES\n');
    for (const name of ['anonymous', 'ftp', 'FTP']) expect((await userSettings(config, name)).anon_upload_enable).toBe(true);
  });

  it('reads nothing when user_config_dir is unset', async () => {
    const plain = defaultConfig();
    expect(await userSettings(plain, 'target')).toBe(plain);
  });
});
