/**
 * Bearer-token check of the job service. Both sides are hashed to 32 bytes
 * first, so the comparison takes the same time whatever the token's length
 * and content (`timingSafeEqual` needs equal lengths).
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** Returns a checker for `Authorization` header values against `token`. */
export function bearerChecker(token: string): (authorization: string | undefined) => boolean {
  const expected = digest(token);
  return (authorization) => {
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization ?? '');
    // Always hash and compare, even without a token, so a miss costs the same.
    const given = digest(match?.[1] ?? '');
    return timingSafeEqual(given, expected) && match !== null;
  };
}
