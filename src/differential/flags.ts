// The differential mode's own flags, shared by `run FILE` and the suite form:
//   --diff-ignore FIELD[,FIELD]   leave a field out of the comparison (repeatable)
//   --diff-check FIELD[,FIELD]    compare a field left out by default (e.g. ts-val)

import { UsageError } from '../cli/command.js';
import { BASE_IGNORED, FIELD_NAMES, ignoreSet, STRUCT_STABLE } from './compare.js';
import { STRUCT_FIELDS } from './call-fields.js';

export const DIFF_FLAGS = {
  'diff-ignore': { type: 'string', multiple: true },
  'diff-check': { type: 'string', multiple: true },
} as const;

function names(values: string[] | undefined, flag: string): string[] {
  const out = (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  for (const n of out) {
    if (!FIELD_NAMES.includes(n)) throw new UsageError(`${flag} does not know the field '${n}' (fields: ${FIELD_NAMES.join(', ')})`);
  }
  return out;
}

/** The set of ignored fields for these flag values (defaults, plus --diff-ignore, minus --diff-check). */
export function ignoredFields(values: { 'diff-ignore'?: string[]; 'diff-check'?: string[] }): Set<string> {
  return ignoreSet(names(values['diff-ignore'], '--diff-ignore'), names(values['diff-check'], '--diff-check'));
}

/** `text` cut at spaces into lines of at most `width` characters. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

export const DIFF_USAGE = `Differential mode: --target ts,kernel (or kernel,ts) runs each script on both stacks with the
same seed and reports the first packet or call result where they disagree, side by side.
  --diff-ignore FIELD  leave FIELD out of the comparison (repeatable, or comma-separated)
  --diff-check FIELD   compare FIELD although it is left out by default (${BASE_IGNORED.join(', ')}, and the
                       struct fields other than ${wrap(STRUCT_STABLE.join(', '), 70).join('\n                       ')})
  fields: ${wrap(FIELD_NAMES.filter((n) => !STRUCT_FIELDS.includes(n)).join(', '), 90).join('\n          ')},
          and the C fields of tcp_info, mptcp_info and the SOL_MPTCP arrays (tcpi_state, mptcpi_subflows, num_subflows...)
Exit status 0 only when both pass and their traces agree. --pcap X.pcap (and --pcap-dir) write
one capture per side: X.ts.pcap and X.kernel.pcap.`;
