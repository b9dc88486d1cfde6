// The TLS gate's path toward the client: what the worker writes on its end
// of the socketpair reaches the TLS client byte for byte and in order, when
// the client reads slowly (reading pauses, the gate's shared read buffer is
// reused under writes still pending), when the worker writes before the
// client's handshake, and in pieces of every size; the worker's end of file becomes
// the client's. Real sockets and real TLS, in this process.
import crypto from 'node:crypto';
import fs from 'node:fs';
import type net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { socketPair } from '../../src/index.js';
import { CloseNotifyWatch } from '../../examples/miniftp/gate/close-notify-watch.js';
import { plainToTls } from '../../examples/miniftp/gate/plain-to-tls.js';
import { scratchDir, type ScratchDir } from '../helpers/scratch.js';
import { makeCertificate, type TestCertificate } from '../helpers/tls-certs.js';
import { lacksTools } from '../helpers/tools.js';

// Every size from a byte to more than the gate's read buffer, more than once.
const SIZES = [1, 7, 100, 5000, 16 * 1024, 70 * 1024, 300 * 1024, 2 << 20, 3, 64 * 1024 + 1];

describe.skipIf(lacksTools('the gate toward the client', 'openssl'))('the TLS gate toward the client', () => {
  let scratch: ScratchDir;
  let cert: TestCertificate;
  beforeAll(() => {
    scratch = scratchDir('plain-to-tls-');
    cert = makeCertificate(scratch.path);
  });
  afterAll(() => scratch?.remove());

  // Both TLS sockets the gate uses: over the fd itself, and over a JS stream (data connections that watch for close_notify).
  it.each([
    ['over the fd', (raw: net.Socket, options: tls.TLSSocketOptions) => new tls.TLSSocket(raw, options)],
    ['watching for close_notify', (raw: net.Socket, options: tls.TLSSocketOptions) => new CloseNotifyWatch(raw, options)],
  ])('carries every byte in order to a slow client, then ends it (TLS socket %s)', async (_name, makeTls) => {
    const [serverRaw, clientRaw] = socketPair();
    const [gateEnd, workerEnd] = socketPair();
    const context = tls.createSecureContext({ cert: fs.readFileSync(cert.cert), key: fs.readFileSync(cert.key) });
    let server: tls.TLSSocket | null = null;
    const plain = plainToTls(gateEnd, () => server!);
    server = makeTls(serverRaw.toSocket({ allowHalfOpen: true }), { isServer: true, secureContext: context });
    server.on('error', () => {});
    const worker: net.Socket = workerEnd.toSocket();
    let client: tls.TLSSocket | null = null;
    try {
      // Small pieces before the client's handshake, each read on its own: all
      // wait in the TLS socket while the gate reads the next into the same buffer.
      const early = Array.from({ length: 20 }, (_, i) => crypto.randomBytes(1 + i * 97));
      for (const piece of early) {
        await new Promise((resolve) => worker.write(piece, resolve));
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      client = tls.connect({ socket: clientRaw.toSocket(), rejectUnauthorized: false });
      const late = [...SIZES, ...[...SIZES].reverse()].map((size) => crypto.randomBytes(size));
      for (const piece of late) worker.write(piece);
      worker.end();
      const pieces = [...early, ...late];
      const received: Buffer[] = [];
      const ended = new Promise<void>((resolve, reject) => {
        client!.once('end', resolve);
        client!.once('error', reject);
      });
      // A client that reads nothing for a while: the gate must hold back, not lose or reorder.
      await new Promise((resolve) => setTimeout(resolve, 300));
      client.on('data', (chunk: Buffer) => received.push(chunk));
      await ended;
      const sent = Buffer.concat(pieces);
      const got = Buffer.concat(received);
      expect(got.length).toBe(sent.length);
      expect(got.equals(sent)).toBe(true);
    } finally {
      for (const socket of [client, server, plain, worker]) socket?.destroy();
    }
  });
});
