// The programs some tests drive that a bare Debian machine lacks, and the one
// place that decides whether they are here. A test that needs one skips with a
// reason naming the package to install. PRIVSEP_TEST_HIDE_TOOLS (a comma-
// separated list of programs, or "all") makes them count as absent, so that
// the suite's other path can be run on a machine that has them.
import fs from 'node:fs';
import path from 'node:path';

/** Each optional program, and the Debian package that brings it. */
export const OPTIONAL_TOOLS = {
  curl: 'curl',
  lftp: 'lftp',
  openssl: 'openssl',
  vsftpd: 'vsftpd',
  fusermount3: 'fuse3',
  ss: 'iproute2',
  nsenter: 'util-linux',
  ps: 'procps',
  rclone: 'rclone',
  git: 'git',
  haproxy: 'haproxy',
  'systemd-socket-activate': 'systemd',
  'systemd-analyze': 'systemd',
  setpriv: 'util-linux',
  prlimit: 'util-linux',
} as const;

export type Tool = keyof typeof OPTIONAL_TOOLS;

const hidden = new Set((process.env.PRIVSEP_TEST_HIDE_TOOLS ?? '').split(',').map((s) => s.trim()).filter(Boolean));

/** The full path of `tool`, or null when it is absent (or hidden). */
export function toolPath(tool: Tool): string | null {
  if (hidden.has('all') || hidden.has(tool)) return null;
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    if (dir === '') continue;
    const candidate = path.join(dir, tool);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return null;
}

/** Why the first of `tools` that is absent cannot run ("lftp not installed: apt-get install lftp"), or null. */
export function missingTool(...tools: Tool[]): string | null {
  for (const tool of tools) {
    if (toolPath(tool) === null) return `${tool} not installed: apt-get install ${OPTIONAL_TOOLS[tool]}`;
  }
  return null;
}

/** For describe.skipIf: true (and the reason printed) when one of `tools` is absent. */
export function lacksTools(suite: string, ...tools: Tool[]): boolean {
  const reason = missingTool(...tools);
  if (reason !== null) console.log(`skipping ${suite}: ${reason}`);
  return reason !== null;
}

/** Inside a test: skips it, with the reason, when one of `tools` is absent. */
export function needTools(context: { skip: (condition: boolean, note?: string) => void; task: { name: string } }, ...tools: Tool[]): void {
  const reason = missingTool(...tools);
  if (reason !== null) console.log(`skipping "${context.task.name}": ${reason}`);
  context.skip(reason !== null, reason ?? undefined);
}
