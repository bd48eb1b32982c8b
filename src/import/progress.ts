// Progress on stderr: a redrawn bar on a terminal, a plain line every few seconds otherwise (logs,
// CI). Phase changes are always printed on their own line.
export class Progress {
  private readonly tty: boolean;
  private readonly total: number;
  private readonly out: NodeJS.WriteStream;
  private readonly quiet: boolean;
  private last = Date.now();
  private readonly started = Date.now();
  private drawn = false;

  constructor(total: number, options: { quiet?: boolean; out?: NodeJS.WriteStream } = {}) {
    this.out = options.out ?? process.stderr;
    this.tty = Boolean(this.out.isTTY);
    this.total = total;
    this.quiet = options.quiet ?? false;
  }

  update(bytes: number, records: number): void {
    if (this.quiet) return;
    const now = Date.now();
    if (now - this.last < (this.tty ? 200 : 5000)) return;
    this.last = now;
    const ratio = this.total ? Math.min(1, bytes / this.total) : 1;
    const seconds = (now - this.started) / 1000;
    const rate = Math.round(records / Math.max(seconds, 0.001));
    const text = `reading ${(ratio * 100).toFixed(1)}%  ${records.toLocaleString("en")} records  ${rate.toLocaleString("en")} records/s`;
    if (this.tty) {
      const width = 30;
      const full = Math.round(ratio * width);
      this.out.write(`\r[${"#".repeat(full)}${" ".repeat(width - full)}] ${text}\x1b[K`);
      this.drawn = true;
    } else {
      this.out.write(`import: ${text}\n`);
    }
  }

  phase(text: string): void {
    if (this.quiet) return;
    if (this.drawn) this.out.write("\n");
    this.drawn = false;
    this.out.write(`import: ${text} (${((Date.now() - this.started) / 1000).toFixed(1)} s)\n`);
  }
}
