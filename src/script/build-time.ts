// Times written in a script (docs/language.md §5), converted to microseconds exactly: decimal
// text is split at the point, so `0.0001` is 100 µs without floating-point drift.

/** Seconds as written (`1`, `0.25`, `.5`, `-1.5`) → microseconds, rounded to the nearest µs. */
export function secondsTextToUsecs(text: string): number {
  const negative = text.startsWith('-');
  const body = negative ? text.slice(1) : text;
  const [whole = '0', frac = ''] = body.split('.');
  const digits = (frac + '0000000').slice(0, 7);
  let usecs = Number(whole || '0') * 1_000_000 + Number(digits.slice(0, 6));
  if (Number(digits[6]) >= 5) usecs += 1;
  return negative ? -usecs : usecs;
}
