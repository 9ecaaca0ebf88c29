// Integers written as C (strtol with base 0) reads them: decimal, 0x hex, leading-0 octal, an
// optional sign. /proc/sys, sysctl(8) and the shell's arithmetic all read numbers this way.

/** The value of `text` (no surrounding blanks), or undefined when it is not such a number. */
export function parseCInteger(text: string, signs = '-'): bigint | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (!m || (m[1] !== '' && !signs.includes(m[1]!))) return undefined;
  const d = m[2]!;
  const v = /^0[xX]/.test(d) ? BigInt(d) : d.length > 1 && d.startsWith('0') ? BigInt(`0o${d.slice(1)}`) : BigInt(d);
  return m[1] === '-' ? -v : v;
}
