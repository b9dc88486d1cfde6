// Type-level tests: the client stubs and the handler signatures come from
// the one table. The @ts-expect-error lines must each be an error, which
// typecheck.test.ts enforces by compiling this file with no diagnostics.
import type net from 'node:net';
import { describe, expectTypeOf, test } from 'vitest';
import {
  BrokerClient, BrokerServer, defineProtocol, type Broker, type FdHandle, type PhaseOf, type RequestContext,
  type Sendable, type ServerHandlers,
} from '../../src/index.js';

const protocol = defineProtocol({
  name: 'types', version: 1, requests: {
    getDataSocket: { id: 3, phase: 'postlogin', args: ['int'], reply: ['result', 'fd'] },
    login: { id: 1, phase: 'prelogin', once: true, args: ['buf', 'buf'], reply: ['result'] },
    stat: { id: 2, args: ['fd'], reply: ['result', 'int', 'buf'] },
  },
});
type Table = typeof protocol.requests;

describe('client stubs from the table', () => {
  test('arguments and replies have the types of their kinds', () => {
    expectTypeOf<Broker<Table>['getDataSocket']>().parameters.toEqualTypeOf<[number]>();
    expectTypeOf<Broker<Table>['getDataSocket']>().returns.toEqualTypeOf<Promise<FdHandle>>();
    expectTypeOf<Broker<Table>['login']>().parameters.toEqualTypeOf<[Uint8Array | string, Uint8Array | string]>();
    expectTypeOf<Broker<Table>['login']>().returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf<Broker<Table>['stat']>().parameters.toEqualTypeOf<[Sendable]>();
    expectTypeOf<Broker<Table>['stat']>().returns.toEqualTypeOf<Promise<[number, Buffer]>>();
  });

  test('connect() infers the table from the protocol', () => {
    expectTypeOf(BrokerClient.connect(0, protocol)).resolves.toEqualTypeOf<Broker<Table>>();
    expectTypeOf<Broker<Table>['call']>().toBeFunction();
  });

  test('wrong calls do not compile', () => {
    const misuse = async (broker: Broker<Table>, socket: net.Socket): Promise<void> => {
      await broker.getDataSocket(21);
      await broker.stat(socket);
      // @ts-expect-error a string where the table says int
      await broker.getDataSocket('21');
      // @ts-expect-error an argument missing
      await broker.getDataSocket();
      // @ts-expect-error an argument too many
      await broker.login('a', 'b', 'c');
      // @ts-expect-error a request the table does not declare
      await broker.getDataSockets(21);
      // @ts-expect-error an fd reply is an FdHandle, not a number
      const n: number = await broker.getDataSocket(21);
      void n;
      // @ts-expect-error call() checks its arguments against the table too
      await broker.call('stat', [1, 2]);
    };
    void misuse;
  });
});

describe('server handlers from the table', () => {
  test('each request has an answer<Name> handler with the received kinds and a context', () => {
    type H = ServerHandlers<Table>;
    expectTypeOf<keyof H>().toEqualTypeOf<'answerGetDataSocket' | 'answerLogin' | 'answerStat'>();
    expectTypeOf<H['answerGetDataSocket']>().parameters.toEqualTypeOf<[number, RequestContext<Table>]>();
    expectTypeOf<H['answerGetDataSocket']>().returns.toEqualTypeOf<Sendable | Promise<Sendable>>();
    expectTypeOf<H['answerLogin']>().parameters.toEqualTypeOf<[Buffer, Buffer, RequestContext<Table>]>();
    expectTypeOf<H['answerStat']>().parameters.toEqualTypeOf<[FdHandle, RequestContext<Table>]>();
    expectTypeOf<H['answerStat']>().returns.toEqualTypeOf<[number, Uint8Array | string] | Promise<[number, Uint8Array | string]>>();
    expectTypeOf<PhaseOf<Table>>().toEqualTypeOf<'postlogin' | 'prelogin'>();
  });

  test('wrong handlers do not compile', () => {
    const good: ServerHandlers<Table> = {
      answerGetDataSocket: (port) => port,
      answerLogin: async (user, pass, { server }) => server.setPhase(user.equals(pass) ? 'postlogin' : 'prelogin'),
      answerStat: (fd) => [fd.stat().ino, 'file'],
    };
    void good;
    const wrongReturn: ServerHandlers<Table> = {
      ...good,
      // @ts-expect-error returns a string where the table says fd
      answerGetDataSocket: () => 'not an fd',
    };
    const wrongArgument: ServerHandlers<Table> = {
      ...good,
      // @ts-expect-error takes a string where the table says int
      answerGetDataSocket: (port: string) => Number(port),
    };
    const wrongArity: ServerHandlers<Table> = {
      ...good,
      // @ts-expect-error returns one value where the table says int and buf
      answerStat: () => 1,
    };
    // @ts-expect-error a handler missing
    const missing: ServerHandlers<Table> = { answerGetDataSocket: (port) => port, answerLogin() {} };
    const server = (channel: number): void => {
      // @ts-expect-error the server starts only in a phase of the table
      const s = new BrokerServer(channel, protocol, good, { phase: 'nowhere' });
      // @ts-expect-error setPhase takes only the table's phases
      s.setPhase('elsewhere');
    };
    void [wrongReturn, wrongArgument, wrongArity, missing, server];
  });

  test('a table with a reserved name does not compile', () => {
    const reserved = () => defineProtocol({
      name: 'bad', version: 1, requests: {
        // @ts-expect-error 'close' is the client's own method
        close: { id: 1, args: [], reply: ['result'] },
      },
    });
    const noResult = () => defineProtocol({
      name: 'bad', version: 1, requests: {
        // @ts-expect-error a reply must start with 'result'
        a: { id: 1, args: [], reply: ['int'] },
      },
    });
    void [reserved, noResult];
  });
});
