# Sourced, not run.
greet() {
	local who="$1"
	echo "hello $who"
}
