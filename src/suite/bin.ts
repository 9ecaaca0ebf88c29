// Stand-alone entry of the suite runner (`node dist/src/suite/bin.js PATH...`), until
// `mptcpdrill run` dispatches several paths here; used by scripts/run-corpus.sh and the tests.

import { runSuiteCommand } from './cli.js';

process.exitCode = await runSuiteCommand(process.argv.slice(2));
