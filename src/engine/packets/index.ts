// The packet half of the engine: see engine.ts for the API.
export { PacketEngine } from './engine.js';
export type { PacketContext, FieldMismatch, BuildResult, MatchResult } from './types.js';
