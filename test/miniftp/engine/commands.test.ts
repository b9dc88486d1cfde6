// Every command of the engine, through Python's ftplib against the
// single-process harness: replies as vsftpd words them, and the file system
// effects they must have.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../helpers/ftp-harness.js';
import { RawClient, ftplibSteps, rawLogin, type StepResult } from '../../helpers/ftp-clients.js';

const cmd = (line: string) => ({ op: 'cmd', line });
// The reply (or error reply) of each step after the welcome and the login.
const replies = (results: StepResult[]) => results.slice(2).map((r) => r.reply ?? r.error ?? '');

describe('engine commands (ftplib)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ options: { localUmask: 0o022, anonUploadEnable: true } });
    fs.writeFileSync(h.file('alice', 'hello.txt'), 'hello\nworld\n');
    fs.mkdirSync(h.file('alice', 'docs'));
    fs.writeFileSync(h.file('alice', 'docs/a.txt'), 'a');
    fs.writeFileSync(h.file('alice', '.hidden'), 'h');
    fs.utimesSync(h.file('alice', 'hello.txt'), new Date('2020-02-03T04:05:06Z'), new Date('2020-02-03T04:05:06Z'));
    fs.writeFileSync(h.file('anonymous', 'readme'), 'public');
    // bob's root stays as set up here, for the listings.
    fs.writeFileSync(h.file('bob', 'hello.txt'), 'hello\nworld\n');
    fs.mkdirSync(h.file('bob', 'docs'));
    fs.writeFileSync(h.file('bob', 'docs/a.txt'), 'a');
    fs.writeFileSync(h.file('bob', '.hidden'), 'h');
    fs.chmodSync(h.file('bob', 'docs/a.txt'), 0o644);
    fs.chmodSync(h.file('bob', 'hello.txt'), 0o644);
    fs.chmodSync(h.file('bob', 'docs'), 0o755);
    fs.utimesSync(h.file('bob', 'hello.txt'), new Date('2020-02-03T04:05:06Z'), new Date('2020-02-03T04:05:06Z'));
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('greets, logs in and out', async () => {
    const results = await ftplibSteps(h.port, { steps: [cmd('NOOP'), { op: 'quit' }] });
    expect(results[0]!.welcome).toBe('220 (miniftp)');
    expect(results[1]!.reply).toBe('230 Login successful.');
    expect(replies(results)).toEqual(['200 NOOP ok.', '221 Goodbye.']);
  });

  it('USER and PASS: one 530 for a bad password and an unknown user; 503 and 530 out of order', async () => {
    const results = await ftplibSteps(h.port, {
      user: null,
      steps: [
        cmd('PASS nothing'),
        cmd('USER alice'), cmd('PASS wrong'),
        cmd('USER mallory'), cmd('PASS secret'),
        cmd('USER alice'), cmd('PASS secret'),
        cmd('USER bob'), cmd('PASS builder'),
      ],
    });
    expect(replies([{}, {}, ...results.slice(1)])).toEqual([
      '503 Login with USER first.',
      '331 Please specify the password.', '530 Login incorrect.',
      '331 Please specify the password.', '530 Login incorrect.',
      '331 Please specify the password.', '230 Login successful.',
      "530 Can't change to another user.", '230 Already logged in.',
    ]);
  });

  it('anonymous login lands in the anonymous root', async () => {
    const results = await ftplibSteps(h.port, { user: 'anonymous', password: 'guest@', steps: [cmd('PWD'), cmd('SIZE readme'), cmd('SITE UMASK')] });
    expect(results[1]!.reply).toBe('230 Login successful.');
    expect(replies(results)).toEqual(['257 "/" is the current directory', '213 6', '550 Permission denied.']);
  });

  it('SYST, FEAT, OPTS, HELP, STAT', async () => {
    const results = await ftplibSteps(h.port, {
      steps: [cmd('SYST'), cmd('FEAT'), cmd('OPTS UTF8 ON'), cmd('OPTS MLST type;size;'), cmd('FEAT'), cmd('OPTS FOO'), cmd('HELP'), cmd('STAT'), cmd('STAT docs')],
    });
    const [syst, feat, utf8, mlst, feat2, foo, help, stat, statPath] = replies(results);
    expect(syst).toBe('215 UNIX Type: L8');
    expect(feat!.split('\n')).toEqual([
      '211-Features:', ' EPRT', ' EPSV', ' MDTM', ' MFMT', ' MLST type*;size*;modify*;perm*;unix.mode*;unix.uid*;unix.gid*;unix.ownername*;unix.groupname*;',
      ' PASV', ' REST STREAM', ' SIZE', ' TVFS', ' UTF8', '211 End',
    ]);
    expect(utf8).toBe('200 Always in UTF8 mode.');
    expect(mlst).toBe('200 MLST OPTS type;size;');
    expect(feat2).toContain(' MLST type*;size*;modify;perm;unix.mode;unix.uid;unix.gid;unix.ownername;unix.groupname;');
    expect(foo).toBe('501 Option not understood.');
    expect(help!.split('\n')[0]).toBe('214-The following commands are recognized.');
    expect(help).toMatch(/ RETR\b/);
    expect(help!.split('\n').at(-1)).toBe('214 Help OK.');
    expect(stat!.split('\n')).toContain('     Logged in as alice');
    expect(stat!.split('\n').at(-1)).toBe('211 End of status');
    const statLines = statPath!.split('\n');
    expect(statLines[0]).toBe('213-Status follows:');
    expect(statLines.some((line) => /^-rw-r--r-- +1 \d+ +\d+ +1 \w{3} \d\d \d\d:\d\d a\.txt$/.test(line))).toBe(true);
    expect(statLines.at(-1)).toBe('213 End of status');
  });

  it('PWD, CWD, CDUP and their X forms', async () => {
    const results = await ftplibSteps(h.port, {
      steps: [cmd('PWD'), cmd('CWD docs'), cmd('XPWD'), cmd('CDUP'), cmd('XCWD /docs'), cmd('XCUP'), cmd('CWD nowhere'), cmd('CWD hello.txt'), cmd('CWD ../../..'), cmd('PWD')],
    });
    expect(replies(results)).toEqual([
      '257 "/" is the current directory', '250 Directory successfully changed.', '257 "/docs" is the current directory',
      '250 Directory successfully changed.', '250 Directory successfully changed.', '250 Directory successfully changed.',
      '550 Failed to change directory.', '550 Failed to change directory.', '250 Directory successfully changed.',
      '257 "/" is the current directory',
    ]);
  });

  it('MKD, RMD, DELE, RNFR/RNTO with the session umask', async () => {
    fs.writeFileSync(h.file('alice', 'gone.txt'), 'x');
    fs.writeFileSync(h.file('alice', 'old.txt'), 'x');
    const results = await ftplibSteps(h.port, {
      steps: [
        cmd('MKD made'), cmd('XMKD made/inner'), cmd('MKD made'), cmd('XRMD made/inner'), cmd('RMD made'), cmd('RMD made'),
        cmd('MKD kept'), cmd('DELE gone.txt'), cmd('DELE gone.txt'), cmd('DELE kept'),
        cmd('RNFR old.txt'), cmd('RNTO new.txt'), cmd('RNTO again.txt'), cmd('RNFR missing'),
        cmd('RNFR new.txt'), cmd('NOOP'), cmd('RNTO other.txt'),
        cmd('SITE UMASK 077'), cmd('MKD private'),
      ],
    });
    expect(replies(results)).toEqual([
      '257 "/made" created', '257 "/made/inner" created', '550 Create directory operation failed.',
      '250 Remove directory operation successful.', '250 Remove directory operation successful.', '550 Remove directory operation failed.',
      '257 "/kept" created', '250 Delete operation successful.', '550 Delete operation failed.', '550 Delete operation failed.',
      '350 Ready for RNTO.', '250 Rename successful.', '503 RNFR required first.', '550 RNFR command failed.',
      '350 Ready for RNTO.', '200 NOOP ok.', '503 RNFR required first.',
      '200 UMASK set to 0077', '257 "/private" created',
    ]);
    expect(fs.statSync(h.file('alice', 'kept')).mode & 0o777).toBe(0o755);
    expect(fs.statSync(h.file('alice', 'private')).mode & 0o777).toBe(0o700);
    expect(fs.existsSync(h.file('alice', 'gone.txt'))).toBe(false);
    expect(fs.existsSync(h.file('alice', 'new.txt'))).toBe(true);
    expect(h.events.some((e) => e.type === 'action' && e.action === 'rename' && e.path === '/old.txt /new.txt' && e.ok)).toBe(true);
  });

  it('SIZE and MDTM in both types', async () => {
    const results = await ftplibSteps(h.port, {
      steps: [cmd('SIZE hello.txt'), cmd('MDTM hello.txt'), cmd('TYPE A'), cmd('SIZE hello.txt'), cmd('SIZE docs'), cmd('MDTM missing')],
    });
    expect(replies(results)).toEqual([
      '213 12', '213 20200203040506', '200 Switching to ASCII mode.', '213 14', '550 Could not get file size.',
      '550 Could not get file modification time.',
    ]);
  });

  it('TYPE, MODE, STRU, ALLO, REST', async () => {
    const results = await ftplibSteps(h.port, {
      steps: [
        cmd('TYPE I'), cmd('TYPE L 8'), cmd('TYPE A N'), cmd('TYPE E'), cmd('MODE S'), cmd('MODE B'), cmd('STRU F'), cmd('STRU R'),
        cmd('ALLO 1000'), cmd('REST 100'), cmd('REST -1'), cmd('REST x'),
      ],
    });
    expect(replies(results)).toEqual([
      '200 Switching to Binary mode.', '200 Switching to Binary mode.', '200 Switching to ASCII mode.', '504 Unrecognised TYPE command.',
      '200 Mode set to S.', '504 Bad MODE command.', '200 Structure set to F.', '504 Bad STRU command.',
      '202 ALLO command ignored.', '350 Restart position accepted (100).',
      '501 REST requires a value greater than or equal to 0.', '501 REST requires a value greater than or equal to 0.',
    ]);
  });

  it('PORT, EPRT, PASV, EPSV and EPSV ALL', async () => {
    const results = await ftplibSteps(h.port, {
      steps: [cmd('PORT 127,0,0,1,200,10'), cmd('EPRT |1|127.0.0.1|51210|'), cmd('EPRT |3|x|1|'), cmd('PASV'), cmd('EPSV'), cmd('EPSV 2'), cmd('EPSV ALL'), cmd('PASV'), cmd('PORT 127,0,0,1,200,10'), cmd('EPSV')],
    });
    const r = replies(results);
    expect(r[0]).toBe('200 PORT command successful. Consider using PASV.');
    expect(r[1]).toBe('200 EPRT command successful. Consider using EPSV.');
    expect(r[2]).toBe('522 Network protocol not supported, use (1,2)');
    expect(r[3]).toMatch(/^227 Entering Passive Mode \(127,0,0,1,\d+,\d+\)\.$/);
    expect(r[4]).toMatch(/^229 Entering Extended Passive Mode \(\|\|\|\d+\|\)$/);
    expect(r[5]).toBe('522 Network protocol not supported, use (1)');
    expect(r.slice(6, 9)).toEqual(['200 EPSV ALL ok.', '503 PASV not allowed after EPSV ALL.', '503 PORT not allowed after EPSV ALL.']);
    expect(r[9]).toMatch(/^229 /);
  });

  it('LIST, NLST, MLSD and MLST', async () => {
    const results = await ftplibSteps(h.port, {
      user: 'bob',
      password: 'builder',
      steps: [
        { op: 'list', verb: 'LIST' }, { op: 'list', verb: 'LIST', arg: '-la' }, { op: 'list', verb: 'NLST' }, { op: 'list', verb: 'NLST', arg: 'docs' },
        { op: 'list', verb: 'LIST', arg: '*.txt' }, { op: 'list', verb: 'LIST', arg: 'nowhere' }, { op: 'list', verb: 'MLSD', arg: 'docs' },
        cmd('MLST hello.txt'), { op: 'list', verb: 'MLSD', arg: 'hello.txt' }, cmd('MLST nowhere'),
      ],
    });
    const [list, listAll, nlst, nlstDocs, glob, missing, mlsd, mlst, mlsdFile, mlstMissing] = results.slice(2);
    expect(list!.reply).toBe('226 Directory send OK.');
    expect(list!.mark).toBe('150 Here comes the directory listing.');
    const names = (text: string) => text.trim().split('\r\n').map((line) => line.split(' ').at(-1));
    expect(names(list!.text!)).toEqual(['docs', 'hello.txt']);
    expect(list!.text).toMatch(/^drwxr-xr-x +2 \d+ +\d+ +\d+ \w{3} \d\d \d\d:\d\d docs\r\n-rw-r--r-- +1 \d+ +\d+ +12 Feb 03  2020 hello.txt\r\n$/);
    expect(names(listAll!.text!)).toEqual(['.', '..', '.hidden', 'docs', 'hello.txt']);
    expect(nlst!.text).toBe('docs\r\nhello.txt\r\n');
    expect(nlstDocs!.text).toBe('docs/a.txt\r\n');
    expect(names(glob!.text!)).toEqual(['hello.txt']);
    expect(missing!.text).toBe('');
    expect(missing!.reply).toBe('226 Transfer done (but failed to open directory).');
    expect(mlsd!.text).toMatch(/^type=file;size=1;modify=\d{14};perm=r[a-z]*;unix\.mode=0644;unix\.uid=\d+;unix\.gid=\d+; a\.txt\r\n$/);
    expect(mlst!.reply!.split('\n')).toEqual([
      '250-Listing /hello.txt',
      expect.stringMatching(/^ type=file;size=12;modify=20200203040506;perm=[a-z]+;unix\.mode=0644;unix\.uid=\d+;unix\.gid=\d+; \/hello\.txt$/),
      '250 End',
    ]);
    expect(mlsdFile!.error).toBe('501 MLSD needs a directory; use MLST for a file.');
    expect(mlstMissing!.error).toBe('550 Could not get file status.');
  });

  it('SITE CHMOD, UMASK, HELP', async () => {
    fs.writeFileSync(h.file('alice', 'mode.txt'), 'm');
    const results = await ftplibSteps(h.port, {
      steps: [cmd('SITE CHMOD 640 mode.txt'), cmd('SITE CHMOD 4755 mode.txt'), cmd('SITE CHMOD 9 mode.txt'), cmd('SITE CHMOD 644 missing'), cmd('SITE UMASK'), cmd('SITE UMASK 027'), cmd('SITE UMASK 999'), cmd('SITE HELP'), cmd('SITE EXEC ls')],
    });
    expect(replies(results)).toEqual([
      '200 SITE CHMOD command ok.', '200 SITE CHMOD command ok.', '501 SITE CHMOD needs 2 arguments: an octal mode and a path.',
      '550 SITE CHMOD command failed.', '200 Your current UMASK is 0022', '200 UMASK set to 0027', '501 SITE UMASK needs an octal mask 0..777.',
      '214 CHMOD UMASK HELP', '500 Unknown SITE command.',
    ]);
    // Setuid and friends never come from a client.
    expect(fs.statSync(h.file('alice', 'mode.txt')).mode & 0o7777).toBe(0o755);
  });

  it('ABOR without a transfer, AUTH, PBSZ, REIN, unknown verbs, argument rules', async () => {
    const results = await ftplibSteps(h.port, {
      steps: [cmd('ABOR'), cmd('AUTH TLS'), cmd('PBSZ 0'), cmd('PROT P'), cmd('REIN'), cmd('ACCT x'), cmd('XYZZY'), cmd('CWD'), cmd('PWD now'), cmd('RETR hello.txt')],
    });
    expect(replies(results)).toEqual([
      '225 No transfer to ABOR.', '502 TLS is not available.', '502 TLS is not available.', '502 TLS is not available.',
      '502 REIN not implemented.', '502 ACCT not implemented.', '500 Unknown command.', '501 CWD needs an argument.',
      '501 PWD takes no argument.', '425 Use PORT or PASV first.',
    ]);
  });

  it('write commands are refused without write_enable and for anonymous users as configured', async () => {
    const results = await ftplibSteps(h.port, {
      user: 'ftp',
      password: 'x',
      steps: [cmd('MKD dir'), cmd('DELE readme'), cmd('RNFR readme'), cmd('APPE readme')],
    });
    expect(replies(results)).toEqual(['550 Permission denied.', '550 Permission denied.', '550 Permission denied.', '550 Permission denied.']);
  });
});

describe('engine commands with other settings', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ options: { hideIds: true, pasvAddress: '192.0.2.7', anonUploadEnable: true, pasvEnable: true, portEnable: false } });
    fs.writeFileSync(h.file('alice', 'f'), 'x');
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('hide_ids shows ftp as owner and group (no id facts in MLSx); pasv_address goes in 227; PORT disabled', async () => {
    const client = await rawLogin(h.port);
    expect((await client.command('STAT f')).lines[1]).toMatch(/^-\S+ +1 ftp +ftp +1 /);
    const mlst = (await client.command('MLST f')).lines[1]!;
    expect(mlst).toMatch(/unix\.mode=0\d+;/);
    expect(mlst).not.toMatch(/unix\.(uid|gid|ownername|groupname)=/);
    expect((await client.command('PASV')).text).toMatch(/^Entering Passive Mode \(192,0,2,7,\d+,\d+\)\.$/);
    expect(await client.command('PORT 127,0,0,1,200,1')).toMatchObject({ code: 550, text: 'Permission denied.' });
    const feat = await client.command('FEAT');
    expect(feat.lines).not.toContain(' EPRT');
    client.destroy();
  });

  it('anonymous uploads add files but never overwrite one', async () => {
    fs.writeFileSync(h.file('anonymous', 'mine.txt'), 'first');
    const source = h.file('alice', 'f');
    const results = await ftplibSteps(h.port, {
      user: 'anonymous',
      password: 'x',
      // EPSV: the 227 of this server names a NAT address nobody listens on.
      steps: [{ op: 'stor', path: 'new.txt', src: source, mode: 'epsv' }, { op: 'stor', path: 'mine.txt', src: source, mode: 'epsv' }],
    });
    expect(results.slice(2).map((r) => r.reply ?? r.error)).toEqual(['226 Transfer complete.', '553 Could not create file.']);
    expect(fs.readFileSync(h.file('anonymous', 'mine.txt'), 'utf8')).toBe('first');
    expect(fs.statSync(h.file('anonymous', 'new.txt')).mode & 0o777).toBe(0o600);
  });
});

describe('engine USER with local_enable=NO', () => {
  for (const anonymousEnable of [true, false]) {
    it(`anonymous_enable=${anonymousEnable ? 'YES' : 'NO'}: "anonymous" is ${anonymousEnable ? 'the anonymous login' : 'a local user name, refused'}`, async () => {
      const h = await startHarness({ options: { localEnable: false, anonymousEnable } });
      try {
        const client = await RawClient.connect(h.port);
        await client.replies(1);
        expect(await client.command('USER alice')).toMatchObject({ code: 530, text: 'This FTP server is anonymous only.' });
        expect((await client.command('USER anonymous')).code).toBe(anonymousEnable ? 331 : 530);
        client.destroy();
      } finally {
        await h.stop();
      }
    });
  }
});

describe('engine anonymous downloads and uploads', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ options: { anonUploadEnable: true, chownUploads: true } });
    fs.writeFileSync(h.file('anonymous', 'open.txt'), 'open', { mode: 0o644 });
    fs.writeFileSync(h.file('anonymous', 'closed.txt'), 'closed', { mode: 0o600 });
    fs.chmodSync(h.file('anonymous', 'closed.txt'), 0o600);
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('anon_world_readable_only: RETR of a file others may not read gets 550, though the process could read it', async () => {
    const out = h.file('alice', 'fetched');
    const results = await ftplibSteps(h.port, {
      user: 'anonymous',
      password: 'x',
      steps: [{ op: 'retr', path: 'open.txt', type: 'I', mode: 'epsv', out }, { op: 'retr', path: 'closed.txt', type: 'I', mode: 'epsv', out: `${out}2` }],
    });
    expect(results.slice(2).map((r) => r.reply ?? r.error)).toEqual(['226 Transfer complete.', '550 Failed to open file.']);
  });

  it('chown_uploads without a host that can chown: the upload gets 553', async () => {
    const results = await ftplibSteps(h.port, {
      user: 'anonymous',
      password: 'x',
      steps: [{ op: 'stor', path: 'given.txt', src: h.file('anonymous', 'open.txt'), mode: 'epsv' }],
    });
    expect(results[2]?.reply ?? results[2]?.error).toBe('553 Could not create file.');
  });
});
