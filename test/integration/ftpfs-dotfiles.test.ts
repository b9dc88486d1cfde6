// Dot files through a real FUSE mount, once the listing that ftpfs wrote
// them into has been fetched from the server again: vsftpd as it comes
// (plain LIST hides dot files; ftpfs lists with LIST -a) and miniftp (MLSD).
// ls -A, find, rm -r and git on trees with dot files.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { miniftp, vsftpd, type FtpTestServer } from '../helpers/ftp-servers.js';
import { cleanUpMounts, mountFtpfs, run, type MountedFtpfs } from '../helpers/ftpfs-mount.js';
import { fuseUnavailable } from '../helpers/mounts.js';
import { scratchDir } from '../helpers/scratch.js';
import { needTools } from '../helpers/tools.js';

const execFileAsync = promisify(execFile);
const scratch = scratchDir('privsep-ftpfs-dotfiles-');
const mounts: MountedFtpfs[] = [];

afterAll(async () => {
  await cleanUpMounts(mounts);
  scratch.remove();
});

const DIR_TTL_S = 1;
/** Past the mount's --dir-ttl (the kernel's entry and attribute timeouts are the same): the next look lists again. */
const pastTtl = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, DIR_TTL_S * 1000 + 500));

/** git with no configuration but the test's own, bounded in time. */
async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('git', ['-c', 'user.name=ftpfs test', '-c', 'user.email=test@localhost', ...args], {
    cwd, timeout: 120_000, encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', LC_ALL: 'C' },
  });
  return stdout;
}

/** Writes `files` (relative path -> content) under `dir`, making directories as needed. */
function writeTree(dir: string, files: Record<string, string>): void {
  for (const [relative, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, relative)), { recursive: true });
    fs.writeFileSync(path.join(dir, relative), content);
  }
}

const tree = {
  '.gitignore': '*.o\n',
  'visible.txt': 'seen\n',
  '.git/HEAD': 'ref: refs/heads/main\n',
  '.git/config': '[core]\n\trepositoryformatversion = 0\n',
  '.git/refs/heads/.keep': '',
  'sub/.hidden': 'dot in a subdirectory\n',
};

for (const kind of [vsftpd, miniftp]) {
  const why = kind.unavailable() ?? fuseUnavailable();
  if (why) console.log(`skipping ftpfs dot files on ${kind.name}: ${why}`);

  describe.skipIf(why !== null)(`ftpfs on ${kind.name}: dot files stay after the listing is fetched again`, () => {
    let server: FtpTestServer;
    let mnt: string;
    /** LIST commands the server received so far (vsftpd's log); null where the log does not say. */
    const listings = (): string[] | null => (server.name === 'vsftpd' ? server.commands('LIST') : null);

    /** Waits past the TTL, runs `look`, and checks (where the server logs LIST) that it listed again. */
    async function afterTtl<T>(look: () => Promise<T>): Promise<T> {
      await pastTtl();
      const before = listings()?.length ?? 0;
      const result = await look();
      const after = listings();
      if (after !== null) expect(after.length).toBeGreaterThan(before);
      return result;
    }

    beforeAll(async () => {
      server = await kind.start({ hideDotFiles: true });
      server.own('.');
      mnt = (await mountFtpfs(server, scratch.path, mounts, ['--dir-ttl', String(DIR_TTL_S)])).mountpoint;
    });

    afterAll(async () => {
      await server?.stop();
    });

    it('ls -A and find show dot files written through the mount, and dot files put on the server', async () => {
      fs.writeFileSync(path.join(mnt, '.hidden'), 'at the top\n');
      const project = path.join(mnt, 'project');
      writeTree(project, tree);
      fs.writeFileSync(path.join(server.root, '.from-server'), 'put there\n');
      server.own('.from-server');
      expect(fs.readFileSync(path.join(server.root, 'project', '.git', 'HEAD'), 'utf8')).toBe(tree['.git/HEAD']);

      const top = await afterTtl(() => run('ls', ['-A', mnt]));
      expect(top.split('\n').filter(Boolean).sort()).toEqual(['.from-server', '.hidden', 'project']);
      const found = await afterTtl(() => run('find', [project, '-mindepth', '1']));
      expect(found.split('\n').filter(Boolean).map((p) => path.relative(project, p)).sort()).toEqual(
        ['.git', '.git/HEAD', '.git/config', '.git/refs', '.git/refs/heads', '.git/refs/heads/.keep', '.gitignore', 'sub', 'sub/.hidden', 'visible.txt'],
      );
      expect(fs.readFileSync(path.join(project, '.git', 'HEAD'), 'utf8')).toBe(tree['.git/HEAD']);
      expect(fs.readFileSync(path.join(mnt, '.from-server'), 'utf8')).toBe('put there\n');
      // vsftpd shows them for LIST -a only: every listing asked for it.
      const lists = listings();
      if (lists !== null) expect(lists.filter((arg) => !arg.startsWith('-a '))).toEqual([]);
    });

    it('rm -r removes a tree with dot files, on the server too', async () => {
      const doomed = path.join(mnt, 'doomed');
      writeTree(doomed, tree);
      await afterTtl(() => run('rm', ['-r', doomed]));
      expect(fs.existsSync(doomed)).toBe(false);
      expect(fs.existsSync(path.join(server.root, 'doomed'))).toBe(false);
    });

    it('git init, add, commit, then status and log after the listing is fetched again', async (context) => {
      needTools(context, 'git');
      const repo = path.join(mnt, 'repo');
      fs.mkdirSync(repo);
      await git(repo, 'init', '-q');
      writeTree(repo, { 'README': 'hello\n', '.gitignore': '*.o\n' });
      await git(repo, 'add', '-A');
      await git(repo, 'commit', '-q', '-m', 'first');
      const status = await afterTtl(() => git(repo, 'status', '--porcelain'));
      expect(status).toBe('');
      expect((await git(repo, 'log', '--format=%s')).trim()).toBe('first');
      expect((await git(repo, 'ls-files')).split('\n').filter(Boolean).sort()).toEqual(['.gitignore', 'README']);
      expect(fs.existsSync(path.join(server.root, 'repo', '.git', 'HEAD'))).toBe(true);
    });
  });
}
