// Entry point the CLI loads for `--target ts` (src/cli/commands/run.ts imports this path).
export { createTsTarget, TsTarget } from '../targets/ts-target.js';
