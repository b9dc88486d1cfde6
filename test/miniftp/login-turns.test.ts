// Password checks in turns by client address: round-robin between
// addresses, never more at once than the limit, a failure frees its turn.
import { describe, expect, it } from 'vitest';
import { LoginTurns } from '../../examples/miniftp/master/login-turns.js';

describe('LoginTurns', () => {
  it('gives another address the next free turn, ahead of one address\'s queue', async () => {
    const turns = new LoginTurns(2);
    const order: string[] = [];
    const gates = new Map<string, () => void>();
    let releaseAll = false;
    const check = (name: string) => () => {
      order.push(name);
      return new Promise<string>((resolve) => {
        if (releaseAll) resolve(name);
        else gates.set(name, () => resolve(name));
      });
    };
    const settle = (): Promise<void> => new Promise((r) => setImmediate(r));
    const attacker = ['a1', 'a2', 'a3', 'a4', 'a5'].map((name) => turns.run('192.0.2.1', check(name)));
    const victim = turns.run('198.51.100.7', check('v'));
    expect(order).toEqual(['a1', 'a2']);
    expect(turns.waiting).toBe(4);
    gates.get('a1')!();
    await settle();
    // The victim's address has no check running: it goes before a3.
    expect(order).toEqual(['a1', 'a2', 'v']);
    gates.get('v')!();
    expect(await victim).toBe('v');
    await settle();
    expect(order).toEqual(['a1', 'a2', 'v', 'a3']);
    releaseAll = true;
    for (const release of gates.values()) release();
    expect(await Promise.all(attacker)).toEqual(['a1', 'a2', 'a3', 'a4', 'a5']);
    expect(order).toEqual(['a1', 'a2', 'v', 'a3', 'a4', 'a5']);
    expect(turns.waiting).toBe(0);
  });

  it('a check that fails or throws frees its turn and rejects its caller alone', async () => {
    const turns = new LoginTurns(1);
    const failing = turns.run('a', () => Promise.reject(new Error('no')));
    const throwing = turns.run('b', () => {
      throw new Error('sync');
    });
    const fine = turns.run('a', async () => 'ok');
    await expect(failing).rejects.toThrow('no');
    await expect(throwing).rejects.toThrow('sync');
    expect(await fine).toBe('ok');
  });
});
