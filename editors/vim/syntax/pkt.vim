" Vim syntax file
" Language: packetdrill / mptcpdrill scripts (.pkt), see docs/language.md
" Maintainer: mptcpdrill (editors/vim/syntax/pkt.vim; test/editors.test.ts keeps the word lists
" equal to the grammar's keywords and system calls)

if exists("b:current_syntax")
  finish
endif

syn case match

" Numbers and addresses
syn match pktNumber "\<0[xX]\x\+\>"
syn match pktNumber "\(\w\|\.\)\@<!-\=\d*\.\=\d\+\>"
syn match pktAddress "\<\d\{1,3}\(\.\d\{1,3}\)\{3}\>"
" (Later items win where they start at the same place: times, ranges and flags come after.)

" Option lines: --name=value, -D NAME=VALUE
syn match pktOption "^\s*\(--[A-Za-z0-9_-]\+\|-D\)\(=\S*\)\="

" Times at the start of an event: 0, +0.1, *, 1.0~1.2, +0...0.3
syn match pktTime "^\s*\(\*\|+\=-\=\d*\.\=\d\+\(\s*\~\s*+\=\d*\.\=\d\+\|\.\.\.\s*+\=\d*\.\=\d\+\)\=\)\ze\s"

" Direction of a packet line
syn match pktDirection "\(^\|\s\)\@<=[<>]\ze\s"

" Sequence range START:END(LEN)
syn match pktSeqRange "\<\d\+:\d\+(\d\+)"

" TCP flags before a sequence range
syn match pktFlags "\(\s\)\@<=\([FSRPUEWA]\+\.\=\d\=\|\.\d\=\|-\)\ze\s\+\d\+:\d\+("

" Keywords of packets (TCP options, IP information, ICMP/UDP, encapsulation)
syn keyword pktKeyword ack win urg mss wscale sackOK sack nop eol TS val ecr FO FOEXP md5 mtu id
syn keyword pktKeyword ipv4 ipv6 icmp udp gre ttl tos flowlabel raw seq noecn ect0 ect1 ect01 ce
syn keyword pktKeyword encap psp spi ECN e0b ceb e1b bad_csum

" MPTCP options and their fields
syn keyword pktMptcp mpls mpcapable mp_capable mp_capable_no_cs v0 v1 none flags nokey key
syn keyword pktMptcp mpcdatalen cksum flag_a flag_b flag_c flag_d flag_e flag_f flag_g flag_h flag_t
syn keyword pktMptcp no_flags mp_join_syn mp_join_syn_ack mp_join_ack backup address_id token rand
syn keyword pktMptcp sender_hmac auto sha1_32 sha256_32 trunc_l64_hmac full_160_hmac trunc_r64_hmac
syn keyword pktMptcp trunc_r64_hmac_sha1 trunc_r64_hmac_sha256 dss dack4 dack8 dsn4 dsn8 ssn dll
syn keyword pktMptcp nocs fin add_address addr port hmac addr_echo inet_addr inet6_addr
syn keyword pktMptcp remove_address mp_prio mp_fail mp_fastclose mp_reset

" System calls
syn keyword pktSyscall socket bind listen accept accept4 connect read recv recvfrom readv write send
syn keyword pktSyscall sendto writev sendmsg recvmsg close shutdown setsockopt getsockopt fcntl
syn keyword pktSyscall ioctl poll epoll_create epoll_create1 epoll_ctl epoll_wait pipe splice
syn keyword pktSyscall sendfile open cap_set psp_rx_assoc psp_tx_assoc mib mib_delta
syn match pktSyscall "\<event\s\+\(created\|established\|closed\|announced\|removed\|sub_established\|sub_closed\|sub_priority\|listener_created\|listener_closed\)\>\ze\s*("
syn keyword pktSyscall pm_add_addr pm_del_addr pm_flush_addrs pm_set_limits pm_set_flags pm_announce pm_remove pm_subflow_create pm_subflow_destroy

" Symbolic constants (SOCK_STREAM, EINPROGRESS, ...)
syn match pktConstant "\<[A-Z][A-Z0-9_]\{2,}\>"

syn match pktEllipsis "\.\.\."

" Strings, shell commands, Python blocks, comments
syn region pktString start=+"+ skip=+\\.+ end=+"+
syn region pktCommand start=+`+ end=+`+
syn region pktCode start=+%{+ end=+}%+
syn match pktComment "//.*$" contains=@Spell
syn region pktComment start="/\*" end="\*/" contains=@Spell

hi def link pktOption PreProc
hi def link pktTime Number
hi def link pktDirection Operator
hi def link pktSeqRange Number
hi def link pktFlags Type
hi def link pktKeyword Keyword
hi def link pktMptcp Statement
hi def link pktSyscall Function
hi def link pktConstant Constant
hi def link pktNumber Number
hi def link pktAddress Number
hi def link pktEllipsis Special
hi def link pktString String
hi def link pktCommand String
hi def link pktCode Special
hi def link pktComment Comment

let b:current_syntax = "pkt"
