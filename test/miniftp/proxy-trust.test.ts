// proxy_protocol_trusted: which peers count as load balancers.
import { expect, test } from 'vitest';
import { TrustedProxies } from '../../examples/miniftp/proxy-trust.js';

test('IPv4 and IPv6 blocks, single hosts, and IPv4 clients of a dual-stack socket', () => {
  const trusted = TrustedProxies.parse(' 10.1.0.0/16 , ::1, 2001:db8:40::/44,192.0.2.9');
  for (const yes of ['10.1.255.3', '::ffff:10.1.0.1', '::1', '0:0:0:0:0:0:0:1', '2001:db8:4f::1', '192.0.2.9']) expect(trusted.trusts(yes), yes).toBe(true);
  for (const no of ['10.2.0.1', '127.0.0.1', '::2', '2001:db8:50::1', '192.0.2.8', '::ffff:192.0.2.8', '', 'lb']) expect(trusted.trusts(no), no).toBe(false);
  expect(TrustedProxies.parse('0.0.0.0/0').trusts('203.0.113.5')).toBe(true);
  expect(TrustedProxies.parse('0.0.0.0/0').trusts('2001:db8::1')).toBe(false);
});

test('an entry that is not a block is named', () => {
  expect(() => TrustedProxies.parse('10.0.0.0/8,,::1')).toThrow('"" is not a CIDR block');
  expect(() => TrustedProxies.parse('::1/200')).toThrow('"::1/200" is not a CIDR block');
});
