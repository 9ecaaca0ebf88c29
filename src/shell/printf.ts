// printf(1) for the conversions scripts use (%s %b %c %d %i %u %x %X %o and %%, with flags,
// width and precision); the format is reused while arguments remain, as POSIX says.
import { ShellError } from './errors.js';
import type { Streams } from './io.js';
import { unescapeEcho } from './builtins.js';
import { parseShellInt } from './arith.js';

function escapes(format: string): string {
  return format.replace(/\\(["\\abfnrtv]|[0-7]{1,3})/g, (_m, e: string) => {
    const map: Record<string, string> = { '"': '"', '\\': '\\', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };
    return map[e] ?? String.fromCharCode(parseInt(e, 8) & 0xff);
  });
}

function pad(text: string, flags: string, width: number): string {
  if (text.length >= width) return text;
  if (flags.includes('-')) return text.padEnd(width);
  if (flags.includes('0') && /^[+-]?\d/.test(text)) {
    const sign = /^[+-]/.test(text) ? text[0]! : '';
    return sign + text.slice(sign.length).padStart(width - sign.length, '0');
  }
  return text.padStart(width);
}

export function printf(args: string[], io: Streams): number {
  const [format, ...rest] = args;
  if (format === undefined) throw new ShellError('printf: usage: printf format [arg ...]', 2);
  let status = 0;
  let argi = 0;
  const next = (): string | undefined => rest[argi++];
  const integer = (a: string | undefined): bigint => {
    if (a === undefined || a === '') return 0n;
    if (/^['"]/.test(a)) return BigInt(a.codePointAt(1) ?? 0);
    try {
      return parseShellInt(a, a);
    } catch {
      io.stderr.write(`printf: ${a}: expected numeric value\n`);
      status = 1;
      return 0n;
    }
  };
  let out = '';
  do {
    const start = argi;
    let stop = false;
    out += escapes(format).replace(/%([-+ #0]*)(\d*|\*)(?:\.(\d*|\*))?([%sbcdiuxXo])/g, (whole, flags: string, w: string, p: string | undefined, conv: string) => {
      if (stop) return '';
      if (conv === '%') return '%';
      const width = w === '*' ? Number(integer(next())) : Number(w || 0);
      const prec = p === '*' ? Number(integer(next())) : p === undefined ? undefined : Number(p || 0);
      const a = next();
      let text: string;
      switch (conv) {
        case 's': text = a ?? ''; if (prec !== undefined) text = text.slice(0, prec); break;
        case 'b': { const cut = { stop: false }; text = unescapeEcho(a ?? '', cut); stop = cut.stop; break; }
        case 'c': text = (a ?? '').slice(0, 1); break;
        case 'u':
        case 'd':
        case 'i': {
          const v = integer(a);
          const u = conv === 'u' ? BigInt.asUintN(64, v) : v;
          text = (u >= 0n && flags.includes('+') ? '+' : u >= 0n && flags.includes(' ') ? ' ' : '') + String(u);
          if (prec !== undefined) text = text.replace(/\d+/, (d) => d.padStart(prec, '0'));
          break;
        }
        default: {
          const v = BigInt.asUintN(64, integer(a));
          text = v.toString(conv === 'o' ? 8 : 16);
          if (conv === 'X') text = text.toUpperCase();
          if (prec !== undefined) text = text.padStart(prec, '0');
          if (flags.includes('#') && v !== 0n) text = (conv === 'o' ? '0' : conv === 'x' ? '0x' : '0X') + text;
        }
      }
      void whole;
      return pad(text, flags, width);
    });
    if (stop || argi === start) break;
  } while (argi < rest.length);
  io.stdout.write(out);
  return status;
}
