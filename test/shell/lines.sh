# Blocks separated by blank lines; each runs as one `sh -c` line, with dash and in-process.
echo hello world

true && echo and || echo or

false && echo and || echo or

false; echo "status $?"

echo a; echo b; echo c

x=1; y=$((x + 2 * 3)); echo "$y $((y << 40)) $((0x10)) $((010)) $((7 / 2)) $((-7 % 3)) $((1 ? 2 : 3))"

echo $((15*1024*1024)) "4096 $((256*1024)) 4194304"

n=5; : $((n += 2)); echo $n $((n++)) $n $((--n))

echo $((1 / 0)); echo after

v="a b"; echo $v "$v" '$v' "\$v" "q\"q" 'it'\''s'

echo $SPACED; echo "$SPACED"; printf '[%s]' $SPACED; echo

echo ${EMPTY:-default} ${EMPTY-set} ${UNSET:-unset} ${UNSET+alt} ${OPT_LOCAL_IP:+alt}

echo ${#OPT_LOCAL_IP} ${OPT_LOCAL_IP%.*} ${OPT_LOCAL_IP%%.*} ${OPT_LOCAL_IP#*.} ${OPT_LOCAL_IP##*.}

f=file.tar.gz; echo ${f%.gz} ${f%%.*} ${f#*.} ${f##*.} ${f#"file"} ${f%[.]gz}

: ${NEWVAR:=assigned}; echo $NEWVAR

echo ${UNSET_ERR:?is required}; echo not reached

echo "$(echo inner) `echo legacy` $(echo $(echo nested))"

x=$(printf 'a\n\n\n'); echo "[$x]"

echo $(false); echo "status $?"

echo hi > out.txt; echo there >> out.txt; cat out.txt

echo to-null > /dev/null; echo err >&2; echo both 2>&1

ls /nonexistent 2>/dev/null; echo "ls status $?"

{ echo grouped; echo err >&2; } 2>&1 | tr a-z A-Z

echo one | cat | cat

printf 'b\na\nc\n' | sort | head -n 2

cat < data.txt | grep beta

cat <<EOF2
line one $OPT_LOCAL_IP
	tabbed $((1+1))
EOF2

cat <<'EOF2'
not $expanded `here`
EOF2

cat <<-EOF2
	stripped
		once
	EOF2

if [ -f data.txt ]; then echo file; elif [ -d data.txt ]; then echo dir; else echo none; fi

if test -n "$EMPTY"; then echo nonempty; else echo empty; fi

[ 3 -gt 2 ] && [ "a" != "b" ] && [ ! -e nothing ] && echo tests

[ 3 -lt ]; echo "status $?"

for i in 1 2 3; do if [ $i = 2 ]; then continue; fi; echo $i; done

for i in a b c; do echo $i; [ $i = b ] && break; done; echo "after $i"

i=0; while [ $i -lt 3 ]; do i=$((i + 1)); done; echo $i

i=0; until [ $i -ge 2 ]; do echo u$i; i=$((i+1)); done

case hello in h*) echo starts-h ;; *) echo other ;; esac

case x.pkt in *.sh|*.py) echo script ;; *.pkt) echo pkt ;; esac

case "a b" in "a b") echo quoted-match ;; esac

case abc in [ab]bc) echo bracket ;; esac

f() { echo "in f: $1 $#"; return 4; }; f one two; echo "f status $?"

g() { local v=inner; echo $v; }; v=outer; g; echo $v

( cd /; pwd ); pwd | sed 's#.*/##' | cut -c1-6

cd / && pwd

./setup.sh

./fails.sh; echo "status $?"

./fails.sh 2>/dev/null || echo recovered

./errexit.sh; echo "status $?"

./args.sh one "two words" three

./bashy.sh

./noshebang.sh

./not-executable.txt; echo "status $?"

./missing.sh; echo "status $?"

no_such_command_xyz; echo "status $?"

set -e; false; echo not reached

set -e; false || true; echo reached

set -u; echo $UNSET_U; echo not reached

sh -c 'exit 5'; echo "status $?"

X=from-env sh -c 'echo $X'; echo "[$X]"

export EXPORTED=yes; sh -c 'echo $EXPORTED'

eval 'echo evaluated; e=1'; echo $e

read a b <<EOF2
first second third
EOF2
echo "$a|$b"

printf '%s-%s\n' a b c d; printf 'no newline'; printf '\n%d%%\n' 50

echo "multi
line"; echo done

x=1
y=2
echo $((x + y))

echo *.txt; echo "*.txt"; echo nomatch*.xyz

exit 7

echo before; exit; echo after

echo a\ b \$HOME "\\" '\\'

IFS=:; set -- $(echo a:b:c); echo $# $2

read a < /proc/sys/net/ipv4/tcp_sack; echo "st $? [$a]"; read b < /proc/sys/net/ipv4/tcp_congestion_control; echo "st $? [$b]"

cat /proc/sys/net/ipv4/tcp_sack | { read v; echo "piped [$v]"; }

x=$(echo "a b" | tr ' ' '\n' | wc -l); echo "$x lines"

v=; for w in $v; do echo never; done; echo "empty: [$v]"

printf '%s\n' "$@"; echo "no args: $#"
