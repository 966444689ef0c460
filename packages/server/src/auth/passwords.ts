import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * scrypt with N=2^15, r=8: 32 MiB and ~0.1 s per hash, which makes offline guessing of a stolen hash
 * expensive (OWASP's minimum for scrypt is N=2^17 with r=8 and p=1, or the same memory split as here).
 * Stored as `scrypt$N$r$p$salt$hash` so the cost can be raised later and old hashes still verify.
 */
export const productionHashCost: HashCost = { N: 2 ** 15, r: 8, p: 1 };
const keyLength = 32;

export interface HashCost {
  N: number;
  r: number;
  p: number;
}

let cost = productionHashCost;

/**
 * The cost of the hashes made from now on in this process, for tests only: the suite creates hundreds of
 * accounts and logs in to each, and at the production cost scrypt alone would take minutes of its CPU (Rails'
 * has_secure_password lowers bcrypt's cost under test the same way). Hashes keep their cost in their text, so
 * verifying is as cheap as hashing was. Nothing outside test/support calls this.
 */
export function setHashCostForTests(testCost: HashCost): void {
  cost = testCost;
}

function derive(password: string, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyLength, { N, r, p, maxmem: 256 * N * r }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** @example const stored = await hashPassword('correct horse battery staple'); */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, cost.N, cost.r, cost.p);
  return ['scrypt', cost.N, cost.r, cost.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await derive(password, Buffer.from(salt, 'base64url'), Number(n), Number(r), Number(p));
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A password for generated accounts: 24 characters from a 64-symbol alphabet (144 bits). */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}
