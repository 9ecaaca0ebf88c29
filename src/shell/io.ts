// Where a command reads and writes: standard input as text with a read position, outputs as
// sinks (a buffer, a discarded stream, a file, a virtual file).

export interface Sink {
  write(text: string): void;
  /** Called when the redirection ends; a virtual file commits what was written. Returns an error message. */
  close?(): string | undefined;
}

export class Input {
  /**
   * `oneByteOnly`: reads of one byte at a time see only the first byte (Linux's integer sysctls
   * answer EOF at a non-zero offset, and dash's `read` reads a byte at a time).
   */
  constructor(public text: string, public pos = 0, readonly oneByteOnly = false) {}
  /** The rest, consumed. */
  readAll(): string {
    const rest = this.text.slice(this.pos);
    this.pos = this.text.length;
    return rest;
  }
  /** One line without its newline, or undefined at the end (a last line without "\n" is returned). */
  readLine(): { line: string; complete: boolean } | undefined {
    if (this.pos >= this.text.length) return undefined;
    const nl = this.text.indexOf('\n', this.pos);
    const end = nl < 0 ? this.text.length : nl;
    const line = this.text.slice(this.pos, end);
    this.pos = nl < 0 ? this.text.length : nl + 1;
    return { line, complete: nl >= 0 };
  }
}

/** Collects output, bounded so that no loop can fill the memory. */
export class BufferSink implements Sink {
  text = '';
  constructor(private readonly limit: { remaining: number }) {}
  write(text: string): void {
    this.limit.remaining -= text.length;
    if (this.limit.remaining < 0) throw new OutputLimit();
    this.text += text;
  }
}

export class OutputLimit extends Error {
  constructor() {
    super('output limit exceeded');
  }
}

export const NULL_SINK: Sink = { write: () => undefined };

/** A command's standard streams and any other descriptors a redirection opened (3-9). */
export interface Streams {
  stdin: Input;
  stdout: Sink;
  stderr: Sink;
  more?: Map<number, Sink | Input>;
}
