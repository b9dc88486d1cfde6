// The administrator's command and file policy on a real server with real
// clients (ftplib, curl, lftp): cmds_allowed, cmds_denied, download_enable,
// dirlist_enable, chmod_enable, deny_file, hide_file, force_dot_files,
// ls_recurse_enable, mdtm_write and MFMT; then banner_file, dirmessage_enable, deny_email_enable,
// secure_email_list_enable and no_anon_password. Each on and off; bad values
// refused at start.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { curl, ftplibSteps, lftp, RawClient, type StepResult } from '../helpers/ftp-clients.js';
import { createUser, startMiniftp, startRefused, type RunningMiniftp, type TestUser } from '../helpers/miniftp-server.js';
import { requireRoot } from '../helpers/root.js';
import { needTools } from '../helpers/tools.js';

const password = 'policy-secret';

// What a step got: its reply, or the error reply ftplib raised.
const answer = (result: StepResult | undefined): string => result?.reply ?? result?.error ?? '(none)';

describe.skipIf(!requireRoot('miniftp command and file policy'))('miniftp command and file policy', () => {
  let user: TestUser;
  let strict: RunningMiniftp;
  let plain: RunningMiniftp;
  let limited: RunningMiniftp;
  let work: string;

  // The same tree in the user's home for every server.
  function populate(): void {
    const files: Record<string, string> = {
      'song.mp3': 'music\n', 'clip.mov': 'film\n', 'notes.txt': 'notes\n', 'secret-plan.txt': 'plan\n',
      '.profile': 'dot\n', 'x.private.txt': 'contains the whole deny text\n', 'music/inner.txt': 'inner\n',
      '.private/inside.txt': 'inside\n', 'touch.txt': 'touch\n', 'mode.txt': 'mode\n',
    };
    for (const [name, text] of Object.entries(files)) {
      const file = path.join(user.home, name);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text);
    }
    fs.chmodSync(path.join(user.home, 'mode.txt'), 0o644);
    for (const entry of fs.readdirSync(user.home, { recursive: true, encoding: 'utf8' })) fs.chownSync(path.join(user.home, entry), user.uid, user.gid);
  }

  beforeAll(async () => {
    user = createUser('mfpol', password);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'miniftp-policy-'));
    populate();
    const common = { chroot_local_user: 'YES', write_enable: 'YES' };
    [strict, plain, limited] = await Promise.all([
      startMiniftp({ ...common, cmds_denied: 'DELE,XRMD', deny_file: '{*.mp3,.private}', hide_file: '{*.mov,secret*}', chmod_enable: 'NO', force_dot_files: 'YES', ls_recurse_enable: 'YES' }),
      startMiniftp({ ...common }),
      startMiniftp({
        ...common, cmds_allowed: 'PASV,EPSV,TYPE,RETR,LIST,NLST,MLSD,STAT,SIZE,MDTM,QUIT',
        download_enable: 'NO', dirlist_enable: 'NO', mdtm_write: 'NO',
      }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([strict, plain, limited].map((server) => server?.stop()));
    user?.remove();
    fs.rmSync(work, { recursive: true, force: true });
  });

  const steps = async (server: RunningMiniftp, list: object[]): Promise<StepResult[]> =>
    (await ftplibSteps(server.port, { user: user.name, password, steps: list })).slice(2);

  it('cmds_denied: a listed command gets 550 Permission denied after login; the others run; unset, DELE works', async () => {
    fs.writeFileSync(path.join(user.home, 'gone.txt'), 'x');
    const [dele, xrmd, pwd, rmdOther] = await steps(strict, [
      { op: 'cmd', line: 'DELE gone.txt' }, { op: 'cmd', line: 'XRMD music' }, { op: 'cmd', line: 'PWD' }, { op: 'cmd', line: 'dele gone.txt' },
    ]);
    expect(answer(dele)).toBe('550 Permission denied.');
    expect(answer(xrmd)).toBe('550 Permission denied.');
    expect(answer(rmdOther)).toBe('550 Permission denied.');
    expect(answer(pwd)).toMatch(/^257 "\/"/);
    expect(fs.existsSync(path.join(user.home, 'gone.txt'))).toBe(true);
    const [deleted] = await steps(plain, [{ op: 'cmd', line: 'DELE gone.txt' }]);
    expect(answer(deleted)).toMatch(/^250/);
    expect(fs.existsSync(path.join(user.home, 'gone.txt'))).toBe(false);
  });

  it('cmds_allowed: only the listed commands run after login (USER and PASS before it always do); unset, all do', async () => {
    const [pwd, cwd, size, stat] = await steps(limited, [
      { op: 'cmd', line: 'PWD' }, { op: 'cmd', line: 'CWD music' }, { op: 'cmd', line: 'SIZE notes.txt' }, { op: 'cmd', line: 'STAT' },
    ]);
    expect(answer(pwd)).toBe('550 Permission denied.');
    expect(answer(cwd)).toBe('550 Permission denied.');
    expect(answer(size)).toBe('213 6');
    expect(answer(stat)).toMatch(/^211/);
    const [plainPwd] = await steps(plain, [{ op: 'cmd', line: 'PWD' }]);
    expect(answer(plainPwd)).toMatch(/^257/);
  });

  it('download_enable=NO: RETR gets 550 Permission denied (curl); YES: the file comes', async (ctx) => {
    needTools(ctx, 'curl');
    const url = (server: RunningMiniftp): string => `ftp://${user.name}:${password}@127.0.0.1:${server.port}/notes.txt`;
    expect((await curl([url(plain)])).stdout).toBe('notes\n');
    const refused = await curl([url(limited)]).then(() => 'downloaded', (err: { stderr?: string }) => String(err.stderr));
    expect(refused).toMatch(/550/);
  });

  it('dirlist_enable=NO: LIST, NLST, MLSD and STAT with a path get 550; YES: they list', async () => {
    const results = await steps(limited, [
      { op: 'list', verb: 'LIST' }, { op: 'list', verb: 'NLST' }, { op: 'list', verb: 'MLSD' }, { op: 'cmd', line: 'STAT .' },
    ]);
    for (const result of results) expect(answer(result)).toBe('550 Permission denied.');
    const [nlst] = await steps(plain, [{ op: 'list', verb: 'NLST' }]);
    expect(nlst!.text).toContain('notes.txt');
  });

  it('chmod_enable=NO: SITE CHMOD gets 550 and the mode stays; YES: it changes the mode', async () => {
    const file = path.join(user.home, 'mode.txt');
    const [refused, umask] = await steps(strict, [{ op: 'cmd', line: 'SITE CHMOD 600 mode.txt' }, { op: 'cmd', line: 'SITE UMASK' }]);
    expect(answer(refused)).toBe('550 Permission denied.');
    expect(answer(umask)).toMatch(/^200/);
    expect(fs.statSync(file).mode & 0o777).toBe(0o644);
    const [done] = await steps(plain, [{ op: 'cmd', line: 'SITE CHMOD 600 mode.txt' }]);
    expect(answer(done)).toMatch(/^200/);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    fs.chmodSync(file, 0o644);
  });

  it('deny_file: any command on a matching name, or inside a matching directory, gets 550; the names are still listed', async () => {
    const results = await steps(strict, [
      { op: 'retr', path: 'song.mp3' }, { op: 'cmd', line: 'SIZE song.mp3' }, { op: 'cmd', line: 'MDTM song.mp3' },
      { op: 'cmd', line: 'CWD .private' }, { op: 'cmd', line: 'SIZE .private/inside.txt' }, { op: 'cmd', line: 'SIZE /music/../.private/inside.txt' },
      { op: 'cmd', line: 'RNFR notes.txt' }, { op: 'cmd', line: 'RNTO renamed.mp3' }, { op: 'cmd', line: 'SIZE x.private.txt' },
      { op: 'cmd', line: 'MLST song.mp3' }, { op: 'list', verb: 'LIST', arg: '.private' }, { op: 'cmd', line: 'SITE CHMOD 600 song.mp3' },
    ]);
    const [retr, size, mdtm, cwd, inside, dotdot, rnfr, rnto, contains, mlst, list, chmod] = results;
    for (const result of [retr, size, mdtm, cwd, inside, dotdot, rnto, mlst, list, chmod]) expect(answer(result)).toBe('550 Permission denied.');
    // An alternative matches whole names (only the setting's whole text matches inside one, as in vsftpd).
    expect(answer(contains)).toBe('213 29');
    expect(answer(rnfr)).toMatch(/^350/);
    expect(fs.existsSync(path.join(user.home, 'notes.txt'))).toBe(true);
    const [nlst, ok] = await steps(strict, [{ op: 'list', verb: 'NLST' }, { op: 'cmd', line: 'SIZE notes.txt' }]);
    expect(nlst!.text!.split('\r\n')).toEqual(expect.arrayContaining(['song.mp3', '.private', 'music']));
    expect(answer(ok)).toBe('213 6');
    // Without it the same commands work.
    const [plainRetr, plainCwd] = await steps(plain, [{ op: 'retr', path: 'song.mp3' }, { op: 'cmd', line: 'CWD .private' }]);
    expect(plainRetr!.bytes).toBe(6);
    expect(answer(plainCwd)).toMatch(/^250/);
  });

  it('hide_file: matching names are left out of LIST, NLST, MLSD and STAT but can be downloaded; unset, they are listed', async () => {
    const [list, nlst, mlsd, stat, retr, pattern] = await steps(strict, [
      { op: 'list', verb: 'LIST' }, { op: 'list', verb: 'NLST' }, { op: 'list', verb: 'MLSD' }, { op: 'cmd', line: 'STAT .' },
      { op: 'retr', path: 'clip.mov' }, { op: 'list', verb: 'NLST', arg: '*.mov' },
    ]);
    for (const text of [list!.text!, nlst!.text!, mlsd!.text!, answer(stat)]) {
      expect(text).toContain('notes.txt');
      expect(text).not.toContain('clip.mov');
      expect(text).not.toContain('secret-plan.txt');
    }
    expect(retr!.bytes).toBe(5);
    expect(pattern!.text).toBe('');
    const [plainNlst] = await steps(plain, [{ op: 'list', verb: 'NLST' }]);
    expect(plainNlst!.text!.split('\r\n')).toEqual(expect.arrayContaining(['clip.mov', 'secret-plan.txt']));
  });

  it('force_dot_files: LIST and NLST show dotfiles without -a (not . and ..); unset, only with -a', async () => {
    const [nlst, list] = await steps(strict, [{ op: 'list', verb: 'NLST' }, { op: 'list', verb: 'LIST' }]);
    const names = nlst!.text!.split('\r\n');
    expect(names).toContain('.profile');
    expect(names).not.toContain('.');
    expect(names).not.toContain('..');
    expect(list!.text).toMatch(/ \.profile\r\n/);
    const [plainNlst, plainAll] = await steps(plain, [{ op: 'list', verb: 'NLST' }, { op: 'list', verb: 'NLST', arg: '-a' }]);
    expect(plainNlst!.text).toContain('notes.txt');
    expect(plainNlst!.text).not.toContain('.profile');
    expect(plainAll!.text!.split('\r\n')).toEqual(expect.arrayContaining(['.', '..', '.profile']));
  });

  it('lftp: a directory mirrors and a file downloads under the policy; a deny_file name fails with 550', async (ctx) => {
    needTools(ctx, 'lftp');
    const target = path.join(work, 'mirror');
    await lftp(strict.port, user.name, password, ['set cmd:fail-exit no', `mirror music ${target}`, `get notes.txt -o ${path.join(work, 'notes.txt')}`]);
    expect(fs.readFileSync(path.join(target, 'inner.txt'), 'utf8')).toBe('inner\n');
    expect(fs.readFileSync(path.join(work, 'notes.txt'), 'utf8')).toBe('notes\n');
    const failed = await lftp(strict.port, user.name, password, [`get song.mp3 -o ${path.join(work, 'song.mp3')}`]).then(() => 'fetched', (err: { stderr?: string }) => String(err.stderr));
    expect(failed).toMatch(/550/);
  });

  it('ls_recurse_enable: LIST -R lists subdirectories as ls -lR (not those deny_file refuses); unset, -R is ignored', async () => {
    const [recursive] = await steps(strict, [{ op: 'list', verb: 'LIST', arg: '-R' }]);
    const lines = recursive!.text!.split('\r\n');
    expect(lines.filter((line) => line.endsWith(':'))).toEqual(['.:', './music:']);
    expect(lines).toEqual(expect.arrayContaining([expect.stringMatching(/ inner\.txt$/), expect.stringMatching(/ \.private$/)]));
    expect(recursive!.text).not.toContain('inside.txt');
    expect(answer(recursive)).toBe('226 Directory send OK.');
    const [flat] = await steps(plain, [{ op: 'list', verb: 'LIST', arg: '-R' }]);
    expect(flat!.text).not.toContain('inner.txt');
    expect(flat!.text).toMatch(/ music\r\n/);
  });

  it('mdtm_write: MDTM YYYYMMDDHHMMSS path sets the time (UTC); with mdtm_write=NO the argument is a path', async () => {
    const file = path.join(user.home, 'touch.txt');
    const [set, get, bad] = await steps(plain, [
      { op: 'cmd', line: 'MDTM 20200102030405 touch.txt' }, { op: 'cmd', line: 'MDTM touch.txt' }, { op: 'cmd', line: 'MDTM 20201332000000 touch.txt' },
    ]);
    expect(answer(set)).toBe('213 File modification time set.');
    expect(answer(get)).toBe('213 20200102030405');
    expect(answer(bad)).toMatch(/^501/);
    expect(fs.statSync(file).mtime.toISOString()).toBe('2020-01-02T03:04:05.000Z');
    const [asPath] = await steps(limited, [{ op: 'cmd', line: 'MDTM 20100101000000 touch.txt' }]);
    expect(answer(asPath)).toBe('550 Could not get file modification time.');
    expect(fs.statSync(file).mtime.toISOString()).toBe('2020-01-02T03:04:05.000Z');
  });

  it('MFMT sets the time of a file or directory (213 Modify=...; path) and is in FEAT; without write_enable it is refused', async () => {
    const [feat, file, dir, bad, missing] = await steps(plain, [
      { op: 'cmd', line: 'FEAT' }, { op: 'cmd', line: 'MFMT 20210304050607 touch.txt' }, { op: 'cmd', line: 'MFMT 20190101000000.5 music' },
      { op: 'cmd', line: 'MFMT 2021 touch.txt' }, { op: 'cmd', line: 'MFMT 20210304050607 nothing.txt' },
    ]);
    expect(answer(feat).split('\n')).toContain(' MFMT');
    expect(answer(file)).toBe('213 Modify=20210304050607; touch.txt');
    expect(answer(dir)).toBe('213 Modify=20190101000000; music');
    expect(answer(bad)).toMatch(/^501/);
    expect(answer(missing)).toMatch(/^550/);
    expect(fs.statSync(path.join(user.home, 'touch.txt')).mtime.toISOString()).toBe('2021-03-04T05:06:07.000Z');
    expect(fs.statSync(path.join(user.home, 'music')).mtime.toISOString()).toBe('2019-01-01T00:00:00.500Z');
    const readOnly = await startMiniftp({ chroot_local_user: 'YES' });
    try {
      const [roFeat, refused, mdtmSet] = await steps(readOnly, [
        { op: 'cmd', line: 'FEAT' }, { op: 'cmd', line: 'MFMT 20000101000000 touch.txt' }, { op: 'cmd', line: 'MDTM 20000101000000 touch.txt' },
      ]);
      expect(answer(roFeat)).not.toContain('MFMT');
      expect(answer(refused)).toBe('550 Permission denied.');
      expect(answer(mdtmSet)).toBe('550 Permission denied.');
      expect(fs.statSync(path.join(user.home, 'touch.txt')).mtime.toISOString()).toBe('2021-03-04T05:06:07.000Z');
    } finally {
      await readOnly.stop();
    }
  });

  it('bad values are refused at start with the setting\'s name', async () => {
    const cases: Array<[string, RegExp]> = [
      ['cmds_allowed=RETR, QUIT', /bad value "RETR, QUIT" for cmds_allowed: must be command names separated by commas/],
      ['cmds_denied=DELE,RETRR', /bad value "DELE,RETRR" for cmds_denied: must be command names/],
      ['cmds_denied=DELE,XYZ', /bad value "DELE,XYZ" for cmds_denied: XYZ is not a command miniftp knows/],
      ['deny_file=secret/*.txt', /bad value "secret\/\*\.txt" for deny_file: must match names, not paths/],
      [`hide_file=${'x'.repeat(300)}`, /for hide_file: Pattern too long/],
      [`deny_file=${'{a,b}'.repeat(7)}`, /for deny_file: Pattern has more than 64 alternatives/],
      ['download_enable=maybe', /bad value "maybe" for download_enable: must be YES or NO/],
    ];
    for (const [line, message] of cases) {
      const { code, stderr } = await startRefused(work, `listen_address=127.0.0.1\nlisten_port=0\n${line}\n`);
      expect(code, line).toBe(2);
      expect(stderr, line).toMatch(message);
    }
  });
});

describe.skipIf(!requireRoot('miniftp greeting, directory messages and anonymous passwords'))('miniftp greeting, directory messages and anonymous passwords', () => {
  let user: TestUser;
  let messages: RunningMiniftp;
  let secure: RunningMiniftp;
  let noPassword: RunningMiniftp;
  let work: string;

  beforeAll(async () => {
    user = createUser('mfmsg', password);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'miniftp-messages-'));
    fs.chmodSync(work, 0o755);
    fs.mkdirSync(path.join(user.home, 'news'));
    fs.writeFileSync(path.join(user.home, 'news', '.message'), 'Welcome to news.\n220 looks like a reply\n\x1b[31mno escapes\n');
    fs.writeFileSync(path.join(work, 'banner'), 'First banner line.\nSecond banner line.\n');
    fs.writeFileSync(path.join(work, 'banned'), 'spam@example.com\n');
    fs.writeFileSync(path.join(work, 'allowed'), 'friend@example.com\n');
    [messages, secure, noPassword] = await Promise.all([
      startMiniftp({
        chroot_local_user: 'YES', dirmessage_enable: 'YES', banner_file: path.join(work, 'banner'), ftpd_banner: 'not this one',
        anonymous_enable: 'YES', deny_email_enable: 'YES', banned_email_file: path.join(work, 'banned'),
      }),
      startMiniftp({ chroot_local_user: 'YES', anonymous_enable: 'YES', secure_email_list_enable: 'YES', email_password_file: path.join(work, 'allowed') }),
      startMiniftp({ chroot_local_user: 'YES', anonymous_enable: 'YES', no_anon_password: 'YES' }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([messages, secure, noPassword].map((server) => server?.stop()));
    user?.remove();
    fs.rmSync(work, { recursive: true, force: true });
  });

  const steps = async (server: RunningMiniftp, list: object[]): Promise<StepResult[]> =>
    (await ftplibSteps(server.port, { user: user.name, password, steps: list })).slice(2);

  const login = async (server: RunningMiniftp, name: string, pass: string): Promise<string> => {
    const [, reply] = await ftplibSteps(server.port, { user: null, steps: [{ op: 'login', user: name, password: pass }] });
    return answer(reply);
  };

  it('banner_file: its lines are the 220 greeting, instead of ftpd_banner; unset, ftpd_banner or miniftp\'s own', async () => {
    const client = await RawClient.connect(messages.port);
    const [greeting] = await client.replies(1);
    client.destroy();
    expect(greeting!.code).toBe(220);
    expect(greeting!.lines).toEqual(['First banner line.', 'Second banner line.']);
    const [welcome] = await ftplibSteps(secure.port, { user: null, steps: [] });
    expect(welcome!.welcome).toBe('220 (miniftp)');
  });

  it('dirmessage_enable: CWD into a directory with .message shows it in the 250 reply; unset, only the 250 line', async () => {
    const [cwd, back, again] = await steps(messages, [{ op: 'cmd', line: 'CWD news' }, { op: 'cmd', line: 'CDUP' }, { op: 'cmd', line: 'CWD /news' }]);
    expect(answer(cwd).split('\n')).toEqual(['250-Welcome to news.', ' 220 looks like a reply', '[31mno escapes', '250 Directory successfully changed.']);
    expect(answer(back)).toBe('250 Directory successfully changed.');
    expect(answer(again)).toBe(answer(cwd));
    const [plainCwd] = await steps(secure, [{ op: 'cmd', line: 'CWD news' }]);
    expect(answer(plainCwd)).toBe('250 Directory successfully changed.');
  });

  it('deny_email_enable: an anonymous password listed in banned_email_file gets 530; another logs in', async () => {
    expect(await login(messages, 'anonymous', 'spam@example.com')).toBe('530 Login incorrect.');
    expect(await login(messages, 'anonymous', 'someone@example.com')).toMatch(/^230/);
    // Without it (on the other server) the same password is no reason to refuse.
    expect(await login(noPassword, 'anonymous', 'spam@example.com')).toMatch(/^230/);
  });

  it('secure_email_list_enable: only a password listed in email_password_file logs in anonymously; local users are not concerned', async () => {
    expect(await login(secure, 'anonymous', 'someone@example.com')).toBe('530 Login incorrect.');
    expect(await login(secure, 'ftp', 'friend@example.com')).toMatch(/^230/);
    expect(await login(secure, user.name, password)).toMatch(/^230/);
  });

  it('no_anon_password: USER anonymous logs in at once (230, no 331); local users still give a password', async () => {
    const client = await RawClient.connect(noPassword.port);
    await client.replies(1);
    expect((await client.command('USER anonymous')).code).toBe(230);
    expect((await client.command('PWD')).code).toBe(257);
    client.destroy();
    const local = await RawClient.connect(noPassword.port);
    await local.replies(1);
    expect((await local.command(`USER ${user.name}`)).code).toBe(331);
    local.destroy();
    const asked = await RawClient.connect(messages.port);
    await asked.replies(1);
    expect((await asked.command('USER anonymous')).code).toBe(331);
    asked.destroy();
  });

  it('files that cannot be read, and a message_file that is a path, stop the start naming the setting', async () => {
    const missing = path.join(work, 'missing');
    const cases: Array<[string, RegExp]> = [
      [`banner_file=${missing}`, /bad value ".*missing" for banner_file: cannot read it: ENOENT/],
      [`deny_email_enable=YES\nbanned_email_file=${missing}`, /for banned_email_file: cannot read it: ENOENT/],
      [`secure_email_list_enable=YES\nemail_password_file=${missing}`, /for email_password_file: cannot read it: ENOENT/],
      ['message_file=../.message', /bad value "\.\.\/\.message" for message_file: must be a file name/],
    ];
    for (const [lines, message] of cases) {
      const { code, stderr } = await startRefused(work, `listen_address=127.0.0.1\nlisten_port=0\n${lines}\n`);
      expect(code, lines).toBe(2);
      expect(stderr, lines).toMatch(message);
    }
  });
});
