#!/usr/bin/env node
// mycat: prints a file its user may not read, by asking the setgid helper
// `openfile` to open it and send the open fd back over a socketpair
// (SCM_RIGHTS): the classic demonstration of fd passing across a privilege
// boundary. Unprivileged side: it holds nothing but the one fd the helper
// chose to send, and reads it after the helper has exited.
import { pipeline } from 'node:stream/promises';
import { Channel, socketPair, spawnWithCredentials, type ExitStatus, type FdHandle } from 'privsep';
import { packageVersion } from '../cli/version.js';

const USAGE = 'usage: mycat [-v] [--helper PATH] FILE | --help | --version';
// Where docs/mycat.md installs the helper (setgid to the group that may read).
const DEFAULT_HELPER = '/usr/local/libexec/privsep/openfile';

interface Options {
  verbose: boolean;
  helper: string;
  file: string;
}

class UsageError extends Error {}

function parseArgs(args: string[]): Options | 'help' | 'version' {
  let verbose = false;
  let helper = process.env.MYCAT_OPENFILE ?? DEFAULT_HELPER;
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      files.push(...args.slice(i + 1));
      break;
    }
    if (arg === '-h' || arg === '--help') return 'help';
    if (arg === '--version') return 'version';
    if (arg === '-v' || arg === '--verbose') {
      verbose = true;
    } else if (arg === '--helper') {
      if (i + 1 >= args.length) throw new UsageError('--helper needs a path');
      helper = args[++i]!;
    } else if (arg.startsWith('--helper=')) {
      helper = arg.slice('--helper='.length);
    } else if (arg.startsWith('-') && arg !== '-') {
      throw new UsageError(`unknown option ${arg}`);
    } else {
      files.push(arg);
    }
  }
  if (files.length !== 1) throw new UsageError('name exactly one file');
  return { verbose, helper, file: files[0]! };
}

function describeStatus(status: ExitStatus): string {
  return status.signal !== null ? `signal ${status.signal}` : `code ${status.code}`;
}

async function main(args: string[]): Promise<number> {
  let options: Options | 'help' | 'version';
  try {
    options = parseArgs(args);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`mycat: ${err.message}\n${USAGE}\n`);
    return 2;
  }
  if (options === 'version') {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  if (options === 'help') {
    process.stdout.write(`${USAGE}\nPrints FILE through the setgid helper openfile (default ${DEFAULT_HELPER}, or $MYCAT_OPENFILE).\n`);
    return 0;
  }
  const verbose = options.verbose;
  const log = (line: string): void => {
    if (verbose) process.stderr.write(`mycat: ${line}\n`);
  };

  const [mine, theirs] = socketPair();
  let helper;
  try {
    // The helper gets its end as fd 3 and the number on its command line.
    helper = spawnWithCredentials(options.helper, ['3', options.file, 'r'], {
      fds: { 3: theirs },
      env: {},
      // The helper's setgid bit is the privilege it lends; no_new_privs
      // would make execve ignore it.
      noNewPrivs: false,
    });
  } catch (err) {
    mine.close();
    process.stderr.write(`mycat: cannot start the helper ${options.helper}: ${(err as Error).message}\n`);
    return 1;
  } finally {
    theirs.close();
  }

  const channel = Channel.fromFd(mine);
  let answer: { text: string; fds: FdHandle[] };
  try {
    const message = await channel.receive();
    answer = { text: message.data.toString(), fds: message.fds };
  } catch {
    answer = { text: '', fds: [] };
  } finally {
    channel.close();
  }
  // The helper is gone before a byte is read: the open file lives on in
  // this process's fd table alone.
  const status = await helper.exited;
  log(`openfile (pid ${helper.pid}) exited with ${describeStatus(status)}`);

  const [word, ...rest] = answer.text.split(' ');
  if (word !== 'ok' || answer.fds.length !== 1) {
    for (const fd of answer.fds) fd.close();
    const reason = answer.text === '' ? `the helper sent no answer (it exited with ${describeStatus(status)})` : rest.join(' ');
    process.stderr.write(`mycat: ${options.file}: ${reason}\n`);
    return 1;
  }
  const fd = answer.fds[0]!;
  log(`openfile sent its fd ${rest[0]}; it arrived here as fd ${fd.fd}`);
  log(`reading fd ${fd.fd}`);
  await pipeline(fd.createReadStream(), process.stdout, { end: false });
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`mycat: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
