// FUSE mounts in tests: whether they can run here, whether a path is a
// mountpoint, and which processes are still around after an unmount.
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
