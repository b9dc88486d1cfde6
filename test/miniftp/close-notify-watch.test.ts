// The gate's CloseNotifyWatch over real TCP and real TLS on 127.0.0.1: a
// client that ends with close_notify and one whose raw socket sends a bare
// FIN, with the server's reader prompt and with it stalled while the end
// arrives (the close_notify then still waits in buffers), and every byte
// delivered in each case.
import crypto from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseNotifyWatch, transportOver } from '../../examples/miniftp/gate/close-notify-watch.js';
import { scratchDir, type ScratchDir } from '../helpers/scratch.js';
import { makeCertificate } from '../helpers/tls-certs.js';
import { lacksTools } from '../helpers/tools.js';

describe.skipIf(lacksTools('close_notify watch', 'openssl'))('CloseNotifyWatch: close_notify or a bare FIN', () => {
  let scratch: ScratchDir;
  let context: tls.SecureContext;

  beforeAll(() => {
    scratch = scratchDir('close-notify-');
    const { cert, key } = makeCertificate(scratch.path);
    context = tls.createSecureContext({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) });
  });
  afterAll(() => scratch?.remove());

  /** One connection: the client sends the payload and ends with close_notify or (`cut`) a bare FIN; what the server saw. */
  async function transfer(payload: Buffer, cut: boolean, stalled: boolean): Promise<{ cutShort: boolean; received: Buffer }> {
    const server = net.createServer({ allowHalfOpen: true });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as net.AddressInfo;
    const raw = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    raw.on('error', () => {});
    const [serverRaw] = (await once(server, 'connection')) as [net.Socket];
    server.close();
    serverRaw.on('error', () => {});
    const watch = new CloseNotifyWatch(serverRaw, { isServer: true, secureContext: context });
    watch.allowHalfOpen = true;
    watch.on('error', () => {});
    const client = tls.connect({ socket: transportOver(raw, () => {}), rejectUnauthorized: false });
    client.on('error', () => {});
    try {
      await once(client, 'secureConnect');
      // A cut client ends its raw socket once every TLS byte is in it.
      const written = new Promise<void>((resolve) => client.write(payload, () => resolve()));
      if (cut) void written.then(() => raw.end());
      else client.end();
      // Stalled: nothing is read for a while; a payload that fits in the buffers on the way has its end arrive meanwhile.
      if (stalled) await new Promise((resolve) => setTimeout(resolve, 300));
      const chunks: Buffer[] = [];
      watch.on('data', (chunk: Buffer) => chunks.push(chunk));
      await once(watch, 'end');
      return { cutShort: watch.cutShort, received: Buffer.concat(chunks) };
    } finally {
      client.destroy();
      watch.destroy();
      raw.destroy();
    }
  }

  // 40,000 bytes, stalled: the raw socket's end is read while the close_notify still waits
  // in the JS stream's buffer (a check at the raw socket's end would call it a cut).
  for (const [size, stalled] of [[40_000, false], [40_000, true], [1 << 20, false], [1 << 20, true]] as const) {
    it(`close_notify is not a cut, a bare FIN is; every byte arrives (${size} bytes, reader ${stalled ? 'stalled' : 'prompt'})`, async () => {
      const payload = crypto.randomBytes(size);
      const clean = await transfer(payload, false, stalled);
      expect(clean.cutShort).toBe(false);
      expect(clean.received.equals(payload)).toBe(true);
      const cut = await transfer(payload, true, stalled);
      expect(cut.cutShort).toBe(true);
      expect(cut.received.equals(payload)).toBe(true);
    });
  }
});
