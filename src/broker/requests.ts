// The request table of a broker protocol, declared once (OpenSSH's mon_table
// made typed): each request's id, phase, flags, argument kinds and reply
// kinds. Mapped types derive the client stubs and the server handler
// signatures from it; defineProtocol checks it and fixes its fingerprint.
import { createHash } from 'node:crypto';
import type { FdHandle } from '../fd/fd-handle.js';
import type { Sendable } from '../fd/sendable.js';
import { checkInteger, invalidArgType, invalidArgValue } from '../errors.js';
import { MAX_FDS_PER_MESSAGE } from '../fd/frame-reader.js';

/** The kinds a request argument or reply value can have (cmd and result are the frame). */
export type ValueKind = 'int' | 'buf' | 'fd';

/** One request of a table. */
export interface RequestSpec {
  /** The cmd byte that names the request on the wire (0-255), unique in the table. */
  readonly id: number;
  /** The kinds of its arguments, in order. */
  readonly args: readonly ValueKind[];
  /** 'result' (OK or BAD), then the kinds of the values an OK reply carries. */
  readonly reply: readonly ['result', ...ValueKind[]];
  /** The phase(s) in which the server permits it; permitted in every phase when absent. */
  readonly phase?: string | readonly string[];
  /** The server permits it at most once per channel. */
  readonly once?: boolean;
}

/** Names the client object uses itself (and 'then', which would make it a thenable), so no request may take them. */
export type ReservedName = 'call' | 'close' | 'closed' | 'channel' | 'protocol' | 'maxBufBytes' | 'withTimeout' | 'then';
const RESERVED_NAMES: ReadonlySet<string> = new Set<string>(
  ['call', 'close', 'closed', 'channel', 'protocol', 'maxBufBytes', 'withTimeout', 'then', 'constructor', '__proto__'] satisfies (ReservedName | 'constructor' | '__proto__')[],
);

export type RequestTable = { readonly [name: string]: RequestSpec };

/** A checked protocol: its name and version travel in the hello, with the table's fingerprint. */
export interface BrokerProtocol<T extends RequestTable = RequestTable> {
  readonly name: string;
  readonly version: number;
  readonly requests: T;
  /** 32 bits of SHA-256 over the table's wire shape; see docs/broker.md. */
  readonly fingerprint: number;
}

// ---- Types derived from the table -----------------------------------------

/** What a caller passes for a value of kind K. */
export type SendValue<K> = K extends 'int' ? number : K extends 'buf' ? Uint8Array | string : K extends 'fd' ? Sendable : never;
/** What a receiver gets for a value of kind K (it owns a received FdHandle). */
export type ReceivedValue<K> = K extends 'int' ? number : K extends 'buf' ? Buffer : K extends 'fd' ? FdHandle : never;

type SendValues<A extends readonly unknown[]> = { -readonly [I in keyof A]: SendValue<A[I]> };
type ReceivedValues<A extends readonly unknown[]> = { -readonly [I in keyof A]: ReceivedValue<A[I]> };
type ReplyKinds<R> = R extends readonly ['result', ...infer V] ? V : never;
// No value: void; one value: itself; several: a tuple.
type Collapse<V extends readonly unknown[]> = V extends readonly [] ? void : V extends readonly [infer One] ? One : V;

/** The argument list of request N, as the client passes it. */
export type RequestArgs<S extends RequestSpec> = SendValues<S['args']>;
/** What the client's call of request S resolves to. */
export type RequestReply<S extends RequestSpec> = Collapse<ReceivedValues<ReplyKinds<S['reply']>>>;
/** What a handler of request S returns (or resolves to). */
export type HandlerReply<S extends RequestSpec> = Collapse<SendValues<ReplyKinds<S['reply']>>>;

/** The phases a table names. */
export type PhaseOf<T extends RequestTable> = {
  [N in keyof T]: T[N]['phase'] extends infer P ? P extends string ? P : P extends readonly (infer Q)[] ? Q : never : never
}[keyof T];

/** The client's typed stubs: one method per request, with the request's name. */
export type ClientStubs<T extends RequestTable> = {
  readonly [N in keyof T]: (...args: RequestArgs<T[N]>) => Promise<RequestReply<T[N]>>;
};

/** What a handler gets after its arguments. */
export interface RequestContext<T extends RequestTable = RequestTable> {
  /** The request's name in the table. */
  readonly request: keyof T & string;
  /** The server answering it (for setPhase, peerCredentials). */
  readonly server: BrokerServerLike<T>;
}

/** The part of BrokerServer a handler may use. */
export interface BrokerServerLike<T extends RequestTable> {
  readonly phase: PhaseOf<T> | null;
  setPhase(phase: PhaseOf<T>): void;
  peerCredentials(): { pid: number; uid: number; gid: number };
  close(): void;
}

/** The handler name of request N: answerGetDataSocket for getDataSocket. */
export type HandlerName<N extends string> = `answer${Capitalize<N>}`;

/** The server's handlers: one per request, named answer<Request>, typed from the table. */
export type ServerHandlers<T extends RequestTable> = {
  readonly [N in keyof T & string as HandlerName<N>]: (
    ...args: [...ReceivedValues<T[N]['args']>, RequestContext<T>]
  ) => HandlerReply<T[N]> | Promise<HandlerReply<T[N]>>;
};

// ---- Checking and compiling a table ---------------------------------------

const VALUE_KINDS: ReadonlySet<string> = new Set<ValueKind>(['int', 'buf', 'fd']);
const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** The longest protocol name, in bytes. */
export const MAX_PROTOCOL_NAME_BYTES = 64;
const PROTOCOL_NAME_PATTERN = /^[\x21-\x7e]{1,64}$/;

/** One request, checked, in the form client and server use. */
export interface CompiledRequest {
  readonly name: string;
  readonly handlerName: string;
  readonly id: number;
  readonly args: readonly ValueKind[];
  /** The kinds of the values an OK reply carries (without 'result'). */
  readonly reply: readonly ValueKind[];
  readonly phases: readonly string[] | null;
  readonly once: boolean;
}

export interface CompiledProtocol {
  readonly name: string;
  readonly version: number;
  readonly fingerprint: number;
  readonly requests: readonly CompiledRequest[];
  readonly byId: ReadonlyArray<CompiledRequest | undefined>;
  readonly byName: ReadonlyMap<string, CompiledRequest>;
}

const compiled = new WeakMap<object, CompiledProtocol>();

/**
 * Declares a broker protocol: a name and version (sent in the hello) and the
 * request table. The table is checked here, once: ids unique in 0-255, known
 * kinds, 'result' first in every reply, no reserved names.
 * @throws ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_OUT_OF_RANGE naming the faulty request
 */
export function defineProtocol<const T extends RequestTable>(spec: {
  name: string;
  version: number;
  requests: T & { readonly [K in ReservedName]?: never };
}): BrokerProtocol<T> {
  if (typeof spec !== 'object' || spec === null) throw invalidArgType('spec', 'an object', spec);
  const result = compileProtocol(spec as { name: string; version: number; requests: RequestTable });
  const protocol: BrokerProtocol<T> = Object.freeze({
    name: result.name, version: result.version, requests: spec.requests, fingerprint: result.fingerprint,
  });
  compiled.set(protocol, result);
  return protocol;
}

/**
 * The checked form of a protocol, cached per object.
 * @throws as defineProtocol
 */
export function compileProtocol(protocol: { name: string; version: number; requests: RequestTable }): CompiledProtocol {
  const cached = compiled.get(protocol);
  if (cached) return cached;
  if (typeof protocol.name !== 'string' || !PROTOCOL_NAME_PATTERN.test(protocol.name)) {
    throw invalidValue('name', 'must be 1 to 64 printable ASCII characters without spaces', protocol.name);
  }
  const version = checkInteger('version', protocol.version, 0, 0x7fffffff);
  const table = protocol.requests;
  if (typeof table !== 'object' || table === null) throw invalidArgType('requests', 'an object', table);
  const requests: CompiledRequest[] = [];
  const byId: (CompiledRequest | undefined)[] = new Array(256).fill(undefined);
  const byName = new Map<string, CompiledRequest>();
  for (const [name, spec] of Object.entries(table)) {
    const request = compileRequest(name, spec);
    const clash = byId[request.id];
    if (clash) throw invalidValue(`requests.${name}.id`, `must be unique; ${clash.name} has id ${request.id} too`, request.id);
    byId[request.id] = request;
    byName.set(name, request);
    requests.push(request);
  }
  const result: CompiledProtocol = {
    name: protocol.name, version, fingerprint: fingerprintOf(requests), requests, byId, byName,
  };
  compiled.set(protocol, result);
  return result;
}

function compileRequest(name: string, spec: RequestSpec): CompiledRequest {
  if (!NAME_PATTERN.test(name)) throw invalidValue('requests', `has a request name that is not an identifier`, name);
  if (RESERVED_NAMES.has(name)) throw invalidValue(`requests.${name}`, 'is a reserved name', name);
  if (typeof spec !== 'object' || spec === null) throw invalidArgType(`requests.${name}`, 'an object', spec);
  const id = checkInteger(`requests.${name}.id`, spec.id, 0, 255);
  const args = kinds(`requests.${name}.args`, spec.args);
  if (!Array.isArray(spec.reply) || spec.reply[0] !== 'result') {
    throw invalidValue(`requests.${name}.reply`, "must be an array that starts with 'result'", spec.reply);
  }
  const reply = kinds(`requests.${name}.reply`, spec.reply.slice(1));
  let phases: string[] | null = null;
  if (spec.phase !== undefined) {
    phases = typeof spec.phase === 'string' ? [spec.phase] : Array.isArray(spec.phase) ? [...spec.phase] : [];
    if (phases.length === 0 || !phases.every((p) => typeof p === 'string' && p.length > 0)) {
      throw invalidValue(`requests.${name}.phase`, 'must be a phase name or a non-empty array of them', spec.phase);
    }
  }
  if (spec.once !== undefined && typeof spec.once !== 'boolean') throw invalidArgType(`requests.${name}.once`, 'of type boolean', spec.once);
  return {
    name, handlerName: `answer${name[0]!.toUpperCase()}${name.slice(1)}`, id, args, reply, phases, once: spec.once === true,
  };
}

function kinds(name: string, value: unknown): ValueKind[] {
  if (!Array.isArray(value)) throw invalidArgType(name, 'an array', value);
  for (const kind of value) {
    if (!VALUE_KINDS.has(kind as string)) throw invalidValue(name, "may hold only 'int', 'buf' and 'fd'", kind);
  }
  const list = value as ValueKind[];
  if (list.filter((k) => k === 'fd').length > MAX_FDS_PER_MESSAGE) throw invalidValue(name, `may hold at most ${MAX_FDS_PER_MESSAGE} fds`, list.length);
  return [...list];
}

// The wire shape only (id, name, kinds); phases and flags are the server's policy.
function fingerprintOf(requests: readonly CompiledRequest[]): number {
  const lines = [...requests]
    .sort((a, b) => a.id - b.id)
    .map((r) => `${r.id} ${r.name} ${r.args.join(',')} result${r.reply.map((k) => `,${k}`).join('')}\n`);
  return createHash('sha256').update(lines.join('')).digest().readUInt32BE(0);
}

function invalidValue(name: string, rule: string, value: unknown): TypeError {
  return invalidArgValue(name, value, rule);
}
