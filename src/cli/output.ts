// Writing to stdout in large chunks and honouring back-pressure, so that decoding a big capture
// into a pipe neither buffers everything in memory nor dies on EPIPE when the reader quits.

export class LineSink {
  private chunk: string[] = [];
  private size = 0;
  private closed = false;

  constructor(private readonly stream: NodeJS.WritableStream = process.stdout, private readonly chunkBytes = 1 << 16) {
    stream.on('error', () => {
      // The reader went away (`| head`, EPIPE) or the output cannot be written: stop writing,
      // quietly; there is nobody left to read a message on that stream anyway.
      this.closed = true;
    });
  }

  /** True once the reader has gone away; callers may stop producing. */
  get broken(): boolean {
    return this.closed;
  }

  async line(text: string): Promise<void> {
    this.chunk.push(text);
    this.size += text.length + 1;
    if (this.size >= this.chunkBytes) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.chunk.length === 0 || this.closed) {
      this.chunk = [];
      this.size = 0;
      return;
    }
    const text = this.chunk.join('\n') + '\n';
    this.chunk = [];
    this.size = 0;
    if (!this.stream.write(text)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.stream.off('drain', done);
          this.stream.off('error', done);
          resolve();
        };
        this.stream.once('drain', done);
        this.stream.once('error', done);
      });
    }
  }
}
