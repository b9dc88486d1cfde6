// The FEAT exchange (RFC 2389): the lines of the server's 211 reply, and the
// client's reading of it into a feature table. Pure.
import type { Reply } from './reply.js';

/**
 * The lines of a FEAT reply for {@link formatReply} with code 211: a first
 * line, each feature indented by one space, and `End` (RFC 2389 3.2).
 * @param features feature lines, such as 'EPSV', 'REST STREAM', 'MLST type*;size*;'
 */
export function featureReplyLines(features: readonly string[]): string[] {
  return ['Features:', ...features.map((feature) => ` ${feature}`), 'End'];
}

/**
 * The features a FEAT reply announces: feature name in upper case -> its
 * parameters ('' when none). `MLST type*;size*;` gives 'MLST' -> 'type*;size*;'.
 * Lines with a leading code (`211-EPSV`, as some servers write them) are
 * read too. A reply that is not 211 announces nothing.
 */
export function parseFeatures(reply: Reply): Map<string, string> {
  const features = new Map<string, string>();
  if (reply.code !== 211) return features;
  for (const raw of reply.lines.slice(1, -1)) {
    const line = raw.replace(/^211-/, '').trim();
    if (line === '') continue;
    const space = line.indexOf(' ');
    const name = (space === -1 ? line : line.slice(0, space)).toUpperCase();
    features.set(name, space === -1 ? '' : line.slice(space + 1).trim());
  }
  return features;
}
