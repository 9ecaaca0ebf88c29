// The suite form of `mptcpdrill run`, kept apart so `run --help` can print it without loading
// the suite runner.
export const SUITE_USAGE = `Usage: mptcpdrill run [options] PATH...

Runs every .pkt script in the files and folders given (folders recursively, sorted by path) and
reports each one, then a summary: pass, fail, xfail, xpass, skip, error and the wall time.

Options:
  --target ts|kernel     the bundled stack (the default) or the live kernel (each script in a fresh
                         network namespace of its own, in one long-lived worker process per job
                         slot; needs root)
  --target ts,kernel     differential mode: both, with the same seed, compared event by event
  --diff-ignore FIELD    differential mode: leave FIELD out of the comparison (see run --help)
  --diff-check FIELD     differential mode: compare FIELD although it is left out by default
  -j, --jobs N           scripts run at once. Default: the number of CPUs
  --ip 4|6|both|all      run each script in the suite's IP variants (ipv4, ipv4-mapped-ipv6, ipv6)
                         with the upstream suite's flags (MPTCP suite flags for scripts that use
                         MPTCP, TCP suite flags otherwise); *v4.pkt only IPv4, *v6.pkt only IPv6.
                         Default: each script once, as written
  --suite tcp|mptcp      use one suite's variant flags for every script (default: by content)
  --filter PATTERN       only paths containing PATTERN, or matching it when it is a glob
  --shard I/N            only the I-th of N slices (round-robin over the sorted paths)
  --repeat N             run each script N times; reports how many runs passed
  --bail                 stop after the first failure (the rest are reported as skipped)
  --keep-going           run everything whatever fails (the default)
  --format NAME          pretty (default on a terminal), ktap (default otherwise), tap, junit, json
  --junit FILE           also write JUnit XML to FILE
  --xfail FILE           expected failures (see src/suite/xfail.ts for the format); an xfail.txt in
                         a folder given as PATH is read too
  --pcap-dir DIR         one capture per script and mode in DIR
  --tolerance-scale F    multiply every timing tolerance by F (slow machines)
  --retry-timing N       run a script again, up to N times, when it failed on timing while the
                         tester itself was late (a loaded machine); the report says so
  --seed N               seed of every run (default: a random seed per run, printed on failure)
  --grace-ms MS          how long the stack may settle after the last event
  --strict-tail          fail on any test packet sent after the last event
  --timeout S            per-script limit in seconds (default 180): a child process is killed with
                         all it started; in process, each shell command is
  --ts-processes         run bundled-stack scripts in child processes instead of in this process
  -D NAME=VALUE, --NAME=VALUE   script options for every script (override the variant's)

Exit status: 0 all passed (xfail counts as a pass), 1 a failure (or an XPASS of a strict entry),
2 usage or script errors (nothing failed but something could not run), 4 everything skipped,
130 interrupted (Ctrl-C: running scripts are stopped and the summary of what ran is printed).`;
