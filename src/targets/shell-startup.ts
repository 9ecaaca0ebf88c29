// The environment of the programs a ts shell line starts: no variable that makes a shell run a
// startup file. bash without a terminal reads $BASH_ENV, and `bash -c` reads ~/.bashrc when it
// believes sshd or rshd started it (SSH_CLIENT or SSH2_CLIENT set, or its standard input a
// socket: bash's shell.c, run_startup_files, built with SSH_SOURCE_BASHRC as Debian's is); a
// user's ~/.bashrc can take seconds (pyenv once waited 60 s on a lock). Standard input is never a
// socket either (src/shell/real-host.ts).

const STARTUP_VARIABLES = ['BASH_ENV', 'SSH_CLIENT', 'SSH2_CLIENT'];

/** `env` without the variables that make bash read startup files. */
export function withoutShellStartupFiles(env: Record<string, string>): Record<string, string> {
  if (!STARTUP_VARIABLES.some((k) => k in env)) return env;
  const out = { ...env };
  for (const k of STARTUP_VARIABLES) delete out[k];
  return out;
}
