// Path globs for --filter and the expected-failure list: `*` and `?` stay within one path
// segment, `**` crosses segments, `[...]` is a character class. A pattern matches a path when it
// matches the whole path or any tail of it that starts at a segment, so `join/*.pkt` matches
// `test/scripts/mptcp/join/bad-hmac.pkt` whichever directory the suite was started from.

export function hasGlobChars(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

export function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      // `**/` matches zero or more whole segments; a bare `**` anything at all.
      if (pattern[i + 2] === '/') {
        re += '(?:.*/)?';
        i += 2;
      } else {
        re += '.*';
        i += 1;
      }
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 1);
      if (close === -1) re += '\\[';
      else {
        const body = pattern.slice(i + 1, close).replace(/^!/, '^').replace(/\\/g, '\\\\');
        re += `[${body}]`;
        i = close;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`(?:^|/)${re}$`);
}

/** True when `glob` matches `path` or a tail of it starting at a `/`. */
export function globMatches(glob: string | RegExp, path: string): boolean {
  const re = typeof glob === 'string' ? globToRegExp(glob) : glob;
  return re.test(path.replace(/\\/g, '/').replace(/^\.\//, ''));
}

/** --filter: a glob when it has glob characters, else a substring of the path. */
export function pathFilter(pattern: string): (path: string) => boolean {
  if (!hasGlobChars(pattern)) return (path) => path.includes(pattern);
  const re = globToRegExp(pattern);
  return (path) => globMatches(re, path);
}
