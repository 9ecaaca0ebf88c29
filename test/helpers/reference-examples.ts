// Example scripts of the reference (docs/language.md), shared by the tests that parse them and
// the tests that run them, so both always read the same text.

/** §8.2: the stack is a server that announced a second address; the script joins it. */
export const REFERENCE_JOIN_EXAMPLE = `+0    <  addr[c0] > addr[s0]  S  0:0(0) win 64000 <mss 1460, sackOK, TS val 5 ecr 0, nop, wscale 7, mpcapable v1 flags[flag_h] nokey>
+0    >                       S. 0:0(0) ack 1     <mss 1460, sackOK, TS val 9 ecr 5, nop, wscale 7, mpcapable v1 flags[flag_h] key[sk]>
+0    <                       .  1:1(0) ack 1 win 500 <nop, nop, TS val 6 ecr 9, mpcapable v1 flags[flag_h] key[ck=11259375, sk]>
+0    accept(3, ..., ...) = 4
+0    >                       .  1:1(0) ack 1     <nop, nop, TS val 10 ecr 6, add_address address_id=1 addr[s1] hmac=auto, dss dack4=1 dll=0 nocs>
+0.01 <  addr[c1] > addr[s1]  S  0:0(0) win 64000 <mss 1460, sackOK, TS val 7 ecr 0, nop, wscale 7, mp_join_syn address_id=2 token=sha256_32(sk)>
+0    >                       S. 0:0(0) ack 1     <mss 1460, sackOK, TS val 11 ecr 7, nop, wscale 7, mp_join_syn_ack address_id=1 sender_hmac=auto>
+0    <                       .  1:1(0) ack 1 win 500 <nop, nop, TS val 8 ecr 11, mp_join_ack sender_hmac=auto>
+0    >                       .  1:1(0) ack 1     <nop, nop, TS val 12 ecr 8, dss dack4=1 nocs>
+0    <  addr[c0] > addr[s0]  P. 1:101(100) ack 1 win 500 <nop, nop, TS val 9 ecr 10, dss dack4=1 dsn8=1 ssn=1 dll=100 nocs, nop, nop>
`;
