// MIB counters as Linux prints them, read into nstat's names: /proc/net/netstat and
// /proc/net/snmp hold a line of field names then a line of values per group ("TcpExt: SyncookiesSent …"
// then "TcpExt: 0 …": TcpExtSyncookiesSent), /proc/net/snmp6 one "Ip6InReceives 12" per line
// (net/ipv4/proc.c, net/ipv6/proc.c).

/** Every counter in `text` (any mix of the three files' contents), by nstat name. */
export function parseMibText(text: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  let header: { group: string; fields: string[] } | undefined;
  for (const line of text.split('\n')) {
    const grouped = /^(\w+):\s+(.*)$/.exec(line);
    if (grouped) {
      const group = grouped[1]!;
      const words = grouped[2]!.trim().split(/\s+/);
      if (header?.group === group && /^-?\d+$/.test(words[0] ?? '')) {
        header.fields.forEach((f, i) => {
          const v = words[i];
          if (v !== undefined && /^-?\d+$/.test(v)) out.set(`${group}${f}`, BigInt(v));
        });
        header = undefined;
      } else {
        header = { group, fields: words };
      }
      continue;
    }
    header = undefined;
    const single = /^(\w+)\s+(-?\d+)\s*$/.exec(line);
    if (single) out.set(single[1]!, BigInt(single[2]!));
  }
  return out;
}
