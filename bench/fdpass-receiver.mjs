// Receiving side of bench/fdpass.mjs. With "privsep": reads messages on the
// Channel at fd 3 and closes their fds; after the count, replies "done".
// With "node-ipc": closes each handle Node's IPC delivers, then says done.
import { Channel } from 'privsep';

const [mode, countText] = process.argv.slice(2);
const count = Number(countText);

if (mode === 'privsep') {
  const channel = Channel.fromFd(3);
  let seen = 0;
  channel.on('message', (message) => {
    for (const fd of message.fds) fd.close();
    if (++seen === count) channel.send('done').then(() => channel.close());
  });
} else {
  let seen = 0;
  process.on('message', (_msg, handle) => {
    handle.destroy();
    if (++seen === count) process.send('done', () => process.disconnect());
  });
}
