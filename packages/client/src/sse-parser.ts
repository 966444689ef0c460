/**
 * A parser for the `text/event-stream` format (the WHATWG HTML standard, "Server-sent events"), fed text
 * in chunks of any size. Lines end in LF, CRLF or CR (a CRLF split across two chunks counts once); a line
 * starting with `:` is a comment; `data` lines accumulate; a blank line dispatches the message.
 */
export interface SseMessage {
  /** The last `id:` seen so far in the stream, as EventSource reports it; undefined before any. */
  id: string | undefined;
  /** `event:`, or `message` when the message has none. */
  event: string;
  data: string;
}

/**
 * @example
 * const parser = new SseParser((message) => console.log(message.event, message.data));
 * parser.feed('event: daq.status\ndata: {"id":1}\n\n');
 */
export class SseParser {
  /** The server's `retry:` (milliseconds before reconnecting), once it has sent one. */
  retryMs: number | undefined;
  private lastId: string | undefined;
  private pending = '';
  private data: string[] = [];
  private event = '';
  private started = false;
  private afterCarriageReturn = false;

  constructor(private readonly onMessage: (message: SseMessage) => void) {}

  feed(chunk: string): void {
    let text = chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.startsWith('\uFEFF')) text = text.slice(1);
    }
    // The LF of a CRLF whose CR ended the previous chunk.
    if (this.afterCarriageReturn && text.startsWith('\n')) text = text.slice(1);
    this.afterCarriageReturn = false;
    let start = 0;
    for (let index = 0; index < text.length; index++) {
      const character = text[index];
      if (character !== '\n' && character !== '\r') continue;
      this.line(this.pending + text.slice(start, index));
      this.pending = '';
      if (character === '\r') {
        if (index + 1 === text.length) this.afterCarriageReturn = true;
        else if (text[index + 1] === '\n') index++;
      }
      start = index + 1;
    }
    this.pending += text.slice(start);
  }

  private line(line: string): void {
    if (line === '') {
      this.dispatch();
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.data.push(value);
        break;
      case 'event':
        this.event = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
      default:
        // Unknown fields are ignored, as the standard says.
        break;
    }
  }

  private dispatch(): void {
    const { data, event } = this;
    this.data = [];
    this.event = '';
    if (data.length === 0) return;
    this.onMessage({ id: this.lastId, event: event === '' ? 'message' : event, data: data.join('\n') });
  }
}
