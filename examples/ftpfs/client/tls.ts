// FTPS (RFC 4217) for the FTP client: the TLS options, and the one way a
// socket becomes a TLS client socket, for the control connection (after
// AUTH TLS, or from the first byte) and for every data connection, which
// resumes the control connection's TLS session. Unprivileged client code.
import net from 'node:net';
import tls from 'node:tls';
import { FtpClosedError, FtpTimeoutError } from './errors.js';

/**
 * explicit: AUTH TLS after the greeting (ftpes://); implicit: TLS from the
 * first byte (ftps://, port 990 by convention).
 */
export type SecureMode = 'explicit' | 'implicit';

/** How the client checks the server and speaks TLS. */
export interface FtpTlsOptions {
  secure: SecureMode;
  /** The certificates to trust (PEM), instead of the system's. */
  ca?: string | Buffer | undefined;
  /** Check the server's certificate and name. Default true. */
  rejectUnauthorized?: boolean | undefined;
  /** The name the certificate must carry, and SNI. Default: the host connected to. */
  servername?: string | undefined;
}

/** Where a TLS connection goes and what it resumes. */
export interface SecureTarget {
  host: string;
  port: number;
  tls: FtpTlsOptions;
  timeoutMs: number;
  /** The control connection's session: data connections resume it. */
  session?: Buffer | undefined;
}

function connectOptions(target: SecureTarget): tls.ConnectionOptions {
  const { tls: o, host } = target;
  // The name checked against the certificate is servername, else host (an IP address is matched
  // against IP SANs); SNI carries names only.
  const name = o.servername ?? (net.isIP(host) === 0 ? host : undefined);
  return {
    host, port: target.port, ca: o.ca, rejectUnauthorized: o.rejectUnauthorized ?? true,
    minVersion: 'TLSv1.2', session: target.session,
    ...(name === undefined ? {} : { servername: name }),
  };
}

/** The error of a TLS handshake that failed, saying where and why (with the OpenSSL code). */
export function handshakeError(target: SecureTarget, err: Error & { code?: string }): FtpClosedError {
  const code = err.code === undefined ? '' : ` (${err.code})`;
  return new FtpClosedError(`TLS handshake with ${target.host}:${target.port} failed: ${err.message}${code}`, { cause: err });
}

/**
 * Makes a TLS client connection: over `socket` when given (AUTH TLS, a data
 * connection), else a new TCP connection to the target (implicit FTPS).
 * Resolves once the handshake is done and the certificate checked.
 * @throws FtpClosedError naming the host and the reason (a certificate that
 *   does not verify: its code, e.g. DEPTH_ZERO_SELF_SIGNED_CERT);
 *   FtpTimeoutError (ETIMEDOUT)
 */
export function secureSocket(target: SecureTarget, socket?: net.Socket): Promise<tls.TLSSocket> {
  const secured = tls.connect({ ...connectOptions(target), ...(socket ? { socket } : {}) });
  return new Promise((resolve, reject) => {
    const fail = (err: Error): void => {
      clearTimeout(timer);
      secured.destroy();
      socket?.destroy();
      reject(err);
    };
    const timer = setTimeout(() => fail(new FtpTimeoutError(`TLS handshake with ${target.host}:${target.port} not done within ${target.timeoutMs} ms`)), target.timeoutMs);
    const onError = (err: Error): void => fail(handshakeError(target, err));
    const onClose = (): void => fail(new FtpClosedError(`${target.host}:${target.port} closed the connection during the TLS handshake`));
    secured.once('error', onError);
    secured.once('close', onClose);
    secured.once('secureConnect', () => {
      clearTimeout(timer);
      secured.off('error', onError);
      secured.off('close', onClose);
      resolve(secured);
    });
  });
}
