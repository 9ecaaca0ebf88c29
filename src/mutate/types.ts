// The vocabulary of `mptcpdrill mutate`: a mutant is one text edit of one expectation of a
// script (a field of an outbound packet, an option, a call's result or output; or an MPTCP
// option of an injected packet), placed at the field's line and column so that a survivor can
// be reported where the author wrote the field.

/** One replacement in the script text: [start, end) (0-based offsets) becomes `text`. */
export interface Edit {
  start: number;
  end: number;
  text: string;
}

/**
 * The field kind a mutant belongs to, for the per-kind kill rates: `tcp.flags`, `tcp.seq`,
 * `opt.mss`, `opt.drop`, `mptcp.dss.dack`, `call.ret`, `in.mptcp.drop`, ... (`in.` marks an
 * MPTCP option of an inbound packet, whose effect must show in what the stack does next).
 */
export type MutantKind = string;

export interface Mutant {
  kind: MutantKind;
  /** 1-based position of the mutated field. */
  line: number;
  column: number;
  /** What changed, in the script's words: `win 65535 → 65536`, `drop option 'nop'`, `flags +F`. */
  description: string;
  edit: Edit;
}

/** A field that got no mutant, and why (codes: see SKIP_REASONS). */
export interface Skipped {
  reason: SkipCode;
  line: number;
  column: number;
  /** The field, for tests and details (`ts.ecr`, `win`, `call.ret`). */
  field: string;
}

/**
 * Why a field is not mutated: its value cannot change the verdict by construction (packetdrill
 * semantics, or the engine documents it as not compared), it is not written ("don't care"), it
 * names rather than values, or no valid mutant exists.
 */
export const SKIP_REASONS = {
  'ts-val': 'outbound TS val: compared only with --tcp_ts_tick_usecs (packetdrill semantics)',
  'ts-ecr': 'outbound TS ecr: not compared (src/engine/packets/options-match.ts)',
  'syn-ack-seq': "outbound SYN/ACK seq: it sets the stack's ISN, learned and never compared (packetdrill semantics)",
  'syn-seq-unused': "outbound SYN seq with no SYN/ACK of the script after it (a retransmitted or refused SYN): its START only counts once a SYN/ACK comes (packetdrill semantics)",
  'ack-unwritten': 'ack not written on an outbound ACK segment: "don\'t care"',
  'ack-without-flag': 'ack written without the ACK flag: not compared',
  'win-unwritten': 'win not written on an outbound segment: "don\'t care"',
  'options-any': '`<...>` on an outbound segment: options not compared',
  ellipsis: '`...`: not compared',
  md5: 'md5 digest: not compared (src/engine/packets/options-match.ts)',
  accecn: 'AccECN (ACE value, AccECN option): accepted, not run',
  'join-rand': "outbound MP_JOIN rand: the stack's nonce, learned, not compared (src/engine/packets/mptcp-match.ts)",
  computed: '`auto` and computed values (tokens and HMACs from key names): nothing written to mutate',
  name: 'key and address names: bound or learned, not values',
  'dss-no-value': 'dack/dsn written without a value: not compared',
  'dss-bare': 'bare `dss`: only the option\'s presence is compared',
  'dss-csum-no-mapping': 'DSS checksum of a DSS without a mapping: not compared outbound; inbound Linux reads no checksum without a mapping (options.c mptcp_parse_option; equivalent mutant)',
  'version-default': 'MP_CAPABLE version `none` or a legacy spelling: the default, not a written value',
  'failed-call-output': 'an output of a call expected to fail: nothing is written back, nothing compared',
  'mp-fail-width': "MP_FAIL's DSN is 64-bit on the wire: dsn4 compares its low 32 bits (equivalent mutant)",
  'echoed-length': "one more of an in/out length Linux writes back as passed below its own size (getsockopt optlen of TCP_CONGESTION, TCP_INFO, MPTCP_INFO, MPTCP_FULL_INFO; MPTCP_FULL_INFO's size_*_user, size_arrays_user from the subflow count): it reads no byte the script compares (echoed-length.ts; equivalent mutant, one less is mutated)",
  'returned-fd': "a returned fd: any fd matches (the script's number is mapped to the target's)",
  'inbound-key': 'inbound key value: every later number is relative to it (equivalent mutant)',
  'inbound-width': 'inbound dack/dsn width: the same value in 4 or 8 bytes (equivalent mutant)',
  'inbound-last': 'an inbound packet after the last expectation: nothing shows the stack\'s reaction',
  'inbound-flag-c': "inbound MP_CAPABLE C flag in a script where the stack starts no join to the peer's initial address: it only forbids those (pm_kernel.c fill_remote_addresses_vec; equivalent mutant)",
  'inbound-dack': 'inbound DATA_ACK: one byte more or less than the stack sent changes nothing it sends soon (Linux ignores an ack beyond what it sent)',
  'inbound-literal': 'inbound literal checksum, HMAC or token: scripts write one to be wrong (`auto` computes the right one), and another wrong value is the same test (equivalent mutant)',
  'inbound-third-ack': "inbound MP_CAPABLE flags and version on a third ACK without data: the stack keeps what the SYN negotiated (Linux shows no reaction)",
  'inbound-csum-off': 'inbound DSS checksum present or not (nocs) in a script that negotiates no checksums: the stack ignores it (Linux shows no reaction)',
  'inbound-syn-flag-a': "inbound MP_CAPABLE flag A on a SYN (a Linux listener takes checksums from its sysctl and the third ACK, never from the SYN: subflow.c subflow_init_req), or on a SYN/ACK answering a SYN that set A already (equivalent mutant)",
  'inbound-mpc-ignored': 'inbound MP_CAPABLE that Linux does not parse as written (options.c mptcp_parse_option: length, version, flags): dropping it or breaking another field leaves it ignored (equivalent mutant)',
  'inbound-plain-tcp': 'inbound MPTCP option in a script with no MPTCP socket: plain TCP ignores it (equivalent mutant)',
  'inbound-unasked': "inbound MPTCP option on a SYN/ACK answering a SYN that carried none: Linux does not read it (subflow.c subflow_finish_connect; equivalent mutant)",
  'inbound-mapping-invalid': 'inbound DSS mapping that does not cover its segment as written (subflow.c validate_mapping), changed so that it still does not (or dropped, with no join in the script): the connection falls back either way (equivalent mutant)',
  'inbound-dll-longer': 'inbound DLL one longer on a mapping without DATA_FIN or checksum whose extra byte never comes, or comes under the next mapping at the same DSN: Linux reads it under the old mapping at that DSN (equivalent mutant)',
  'inbound-rest-unmapped': 'inbound DLL one longer, or DATA_FIN added, when the next segment without a DSS runs past the mapping as written and still would: Linux finds its rest unmapped and reacts the same (no join in the script, or the first mapping: no old data another subflow delivered; inbound-mapping.ts; equivalent mutant)',
  'inbound-fin-bad-checksum': "inbound DATA_FIN added to a mapping whose wrong checksum the stack answers with MP_FAIL: Linux checks the checksum before it finds the last byte past the shortened mapping, and the DATA_FIN's number is never the data-level ack (subflow.c get_mapping_status; equivalent mutant)",
  'inbound-data-fin-ssn': 'inbound SSN of a bare DATA_FIN (DLL 1, no payload): Linux takes the DATA_FIN without reading it (subflow.c get_mapping_status; equivalent mutant)',
  'inbound-mp-reset': 'inbound MP_TCPRST (reason, T flag, presence): Linux keeps them only for the netlink subflow-closed event and resets the subflow either way (options.c mptcp_incoming_options, pm_kernel.c; equivalent mutant)',
  'inbound-fastclose-wrong-key': "inbound MP_FASTCLOSE written with a key that is not the stack's: ignored; another wrong key or none is the same test (equivalent mutant)",
  'inbound-add-addr-echo': 'inbound ADD_ADDR echo in a script where the stack announces one address at most: it only stops the announcement being repeated after net.mptcp.add_addr_timeout (120 s in defaults.sh), which no script reaches (pm.c mptcp_pm_add_addr_echoed; equivalent mutant)',
  'inbound-join-beside-capable': 'inbound MP_JOIN on a SYN that carries MP_CAPABLE too: Linux 6.18.44 answers the MP_CAPABLE and ignores the MP_JOIN (capable.ts; equivalent mutant)',
  'inbound-add-addr-unheard': "inbound ADD_ADDR's address id or port under the userspace path manager with no daemon in the script (no PM command, no event expected): Linux counts the announcement (AddAddr, AddAddrDrop) and reads nothing else of it (pm.c mptcp_pm_add_addr_received; equivalent mutant)",
  'inbound-add-addr-bad-hmac': 'inbound ADD_ADDR with a literal (wrong) HMAC: ignored, another id, address or none is the same test (equivalent mutant)',
  'inbound-mp-fail-ignored': 'inbound MP_FAIL after a join was established: Linux has no infinite fallback left and ignores it (pm.c mptcp_pm_mp_fail_received; equivalent mutant)',
  'inbound-join-id': "inbound MP_JOIN address id that no REMOVE_ADDR of the script names (as written and one up): Linux keeps it as the subflow's remote id for REMOVE_ADDR and netlink only (equivalent mutant)",
  'inbound-remove-nothing': 'inbound REMOVE_ADDR in a script with no join and no announced address, of ids other than 0: they name nothing, Linux removes nothing (only a MIB counter moves; equivalent mutant)',
  'inbound-dack-repeat': 'inbound DSS that only repeats a DATA_ACK the script already sent on the connection (or 1 to a listener, its first snd_una), dropped: Linux acts on a DATA_ACK only when it moves (protocol.c ack_update_msk; equivalent mutant)',
  'inbound-dack-superseded': 'inbound DSS that only carries a DATA_ACK the next inbound packet repeats within 200 ms, with no packet of the stack nor data-level counter read in between, dropped: the repeat moves it instead, before any MPTCP retransmission (inbound-dack.ts; equivalent mutant)',
  'inbound-prio-v0-form': 'inbound MP_PRIO in the 4-byte v0 form (with an address id) on a v1 connection: Linux reads only the 3-byte form and ignores it (options.c mptcp_parse_option; equivalent mutant)',
  'inbound-join-synack-bad-hmac': 'inbound MP_JOIN SYN/ACK with a literal (wrong) HMAC: Linux resets the join with MP_TCPRST 1 whether the HMAC is wrong or the option missing (subflow.c subflow_finish_connect; equivalent mutant)',
  'inbound-join-ack-bad-hmac': 'inbound MP_JOIN ACK with a literal (wrong) HMAC: Linux resets the join with MP_TCPRST 1 whether the HMAC is wrong or the option missing (subflow.c subflow_syn_recv_sock; equivalent mutant)',
  'inbound-bound-address': 'inbound address written as the value of a name that later lines read by the name (`addr[a5=inet_addr(...)]`, then `addr[a5]`): the expectations follow the new value (equivalent mutant)',
  'inbound-mp-fail-dsn': "inbound MP_FAIL's DSN: Linux never reads it (pm.c mptcp_pm_mp_fail_received only logs it; its own answer names the mapping it receives; equivalent mutant)",
  'inbound-mp-fail-answer': "inbound MP_FAIL answering the stack's own, dropped: it only stops Linux's MP_FAIL timer, which resets the subflow after TCP_RTO_MAX (120 s) and no script runs that long, and forbids new subflows (no join in the script) (pm.c mptcp_pm_mp_fail_received; equivalent mutant)",
  'inbound-dss-first-ack': 'inbound DSS on the ACK completing a passive handshake without MP_CAPABLE: Linux falls back whatever it says (subflow.c subflow_syn_recv_sock; equivalent mutant)',
  'inbound-rand': 'inbound MP_JOIN rand: the HMACs expected later are computed from it (equivalent mutant)',
  'script-disabled': 'the script disables the line (`// mutate-disable-next-line: REASON` above it, the reason in brackets): an expectation that cannot fail by design, e.g. an option the stack must ignore',
  invalid: 'no valid mutant: the changed script does not check (a value out of range, an option list no longer padded, a flag the options forbid)',
  'max-mutants': 'over --max-mutants for the script (mutants kept evenly spread over the script)',
} as const;

export type SkipCode = keyof typeof SKIP_REASONS;

/** What became of one mutant run. */
export type MutantOutcome =
  /** The script failed: the expectation tests something. */
  | 'killed'
  /** The script could not run to its end (a runtime script or target error): counted as killed. */
  | 'error'
  /** The run did not finish in --timeout: counted as killed. */
  | 'timeout'
  /** The script still passes: the expectation tests nothing. */
  | 'survived'
  /** The target skipped the run (not counted). */
  | 'skipped';

export interface MutantResult {
  mutant: Mutant;
  outcome: MutantOutcome;
  /** Failure headline (killed, error, timeout) or skip reason. */
  detail?: string;
  wallMs: number;
}
