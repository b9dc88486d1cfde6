// FUSE mounts in tests: whether they can run here, whether a path is a
// mountpoint, unmounting one, and which processes are still around after an unmount.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { missingTool } from './tools.js';

/** Why FUSE mounts cannot run here, or null when they can. */
export function fuseUnavailable(): string | null {
  return missingTool('fusermount3') ?? (fs.existsSync('/dev/fuse') ? null : 'no /dev/fuse on this machine (a kernel without FUSE, or a container without the device)');
}

/** True when `mountpoint` is in /proc/mounts. */
export function isMounted(mountpoint: string): boolean {
  return fs.readFileSync('/proc/mounts', 'utf8').split('\n').some((line) => line.split(' ')[1] === mountpoint);
}

/** Live (not zombie) processes whose command line names `text`. */
export function processesNaming(text: string): string[] {
  const found: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      const state = /^State:\s+(\S)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      if (cmdline.includes(text) && state !== 'Z') found.push(`${pid} ${cmdline}`);
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

/** Processes whose working directory or an open fd is inside `mountpoint` (for a message). */
function holdersOf(mountpoint: string): string[] {
  const inside = (target: string): boolean => target === mountpoint || target.startsWith(`${mountpoint}/`);
  const found: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const links = [`/proc/${pid}/cwd`, ...fs.readdirSync(`/proc/${pid}/fd`).map((fd) => `/proc/${pid}/fd/${fd}`)];
      if (links.some((link) => { try { return inside(fs.readlinkSync(link)); } catch { return false; } })) {
        found.push(`${pid} ${fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')}`);
      }
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

/**
 * `fusermount3 -u`, tried again for up to 5 s while the mount is busy: with
 * test files running side by side, another process's path lookup through
 * /tmp can hold the mount for a moment. A mount still busy then is an error
 * naming the processes that hold it.
 */
export async function unmountFuse(mountpoint: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile('fusermount3', ['-u', '--', mountpoint], (err, _stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }));
    });
    if (result.code === 0) return;
    if (!/Device or resource busy/.test(result.stderr) || attempt >= 50) {
      const holders = holdersOf(mountpoint);
      throw new Error(`fusermount3 -u ${mountpoint}: ${result.stderr.trim()}${holders.length > 0 ? `; held by: ${holders.join('; ')}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
