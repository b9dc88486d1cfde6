// ftpfs's mapping of FTP failures to errnos, on literal replies and errors.
import { describe, expect, it } from 'vitest';
import { FtpError, FtpProtocolError, FtpSyntaxError } from '../../examples/ftp/index.js';
import { FtpClosedError, FtpTimeoutError } from '../../examples/ftpfs/client/index.js';
import { errnoOf, errnoOfReply, fsError } from '../../examples/ftpfs/errno-map.js';

describe('errnoOfReply', () => {
  it.each([
    [550, 'No such file or directory.', 'ENOENT'],
    [550, 'File not found', 'ENOENT'],
    [550, "/x: doesn't exist", 'ENOENT'],
    [550, 'Permission denied.', 'EACCES'],
    [550, 'Access denied', 'EACCES'],
    [550, 'Directory not empty', 'ENOTEMPTY'],
    [550, 'File exists', 'EEXIST'],
    [550, 'Is a directory', 'EISDIR'],
    [550, 'Not a directory', 'ENOTDIR'],
    [550, 'Failed to open file.', 'ENOENT'],
    [553, 'Could not create file.', 'EACCES'],
    [553, 'File name not allowed.', 'EACCES'],
    [553, 'Bad file name', 'EINVAL'],
    [530, 'Login incorrect.', 'EACCES'],
    [532, 'Need account for storing files.', 'EACCES'],
    [452, 'Insufficient storage space', 'ENOSPC'],
    [552, 'Exceeded storage allocation', 'ENOSPC'],
    [450, 'File busy', 'EBUSY'],
    [501, 'Syntax error in parameters', 'EINVAL'],
    [500, 'Unknown command.', 'EOPNOTSUPP'],
    [502, 'Command not implemented', 'EOPNOTSUPP'],
    [504, 'Not implemented for that parameter', 'EOPNOTSUPP'],
    [421, 'Timeout.', 'EIO'],
    [425, "Can't open data connection.", 'EIO'],
    [426, 'Failure writing network stream.', 'EIO'],
    [451, 'Local error', 'EIO'],
  ])('%i %s -> %s', (code, text, errno) => {
    expect(errnoOfReply(code, text)).toBe(errno);
  });
});

describe('errnoOf', () => {
  it('maps replies, names FTP cannot carry, aborts, lost connections and local errors', () => {
    expect(errnoOf(new FtpError(530, 'Login incorrect.'))).toBe('EACCES');
    expect(errnoOf(new FtpSyntaxError('ERR_FTP_CONTROL_CHARACTER', 'CR in name'))).toBe('EINVAL');
    expect(errnoOf(new FtpProtocolError('bad reply'))).toBe('EIO');
    expect(errnoOf(new FtpClosedError('gone'))).toBe('EIO');
    expect(errnoOf(new FtpTimeoutError('slow'))).toBe('EIO');
    expect(errnoOf(Object.assign(new Error('x'), { name: 'AbortError', code: 'ABORT_ERR' }))).toBe('EINTR');
    expect(errnoOf(Object.assign(new Error('refused'), { code: 'ECONNREFUSED', syscall: 'connect' }))).toBe('EIO');
    expect(errnoOf(Object.assign(new Error('reset'), { code: 'ECONNRESET', syscall: 'read' }))).toBe('EIO');
    expect(errnoOf(Object.assign(new Error('full'), { code: 'ENOSPC', syscall: 'write' }))).toBe('ENOSPC');
    expect(errnoOf(new Error('anything'))).toBe('EIO');
    expect(errnoOf('not even an error')).toBe('EIO');
  });

  it('fsError has the shape FuseSession answers with', () => {
    const cause = new FtpError(550, 'Permission denied.');
    expect(fsError('EACCES', cause)).toMatchObject({ code: 'EACCES', errno: -13, cause });
  });
});
