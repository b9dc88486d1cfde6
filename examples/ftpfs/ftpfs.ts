#!/usr/bin/env node
// ftpfs's entry: V8 compiles a function the first time it is called, and a
// mount's first read runs some hundred functions of the request, cache and
// FTP code for the first time: their compilation is most of what that read
// costs on the CPU. Compiling each module whole when it is loaded moves that
// cost to the start. The flag holds for code compiled after it is set, so
// the program is imported here, after it, not above.
import v8 from 'node:v8';

v8.setFlagsFromString('--no-lazy');
await import('./ftpfs-main.js');
