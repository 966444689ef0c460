/** The part of tar-stream 3 (which ships no types) that the archive download uses. */
declare module 'tar-stream' {
  import type { Readable, Writable } from 'node:stream';

  export interface PackHeader {
    name: string;
    size: number;
    mtime?: Date;
    mode?: number;
    type?: 'file' | 'directory';
  }

  export interface Pack extends Readable {
    entry(header: PackHeader, callback?: (error?: Error | null) => void): Writable;
    finalize(): void;
  }

  export function pack(): Pack;

  export interface Extract extends Writable {
    on(
      event: 'entry',
      listener: (header: PackHeader, stream: Readable, next: (error?: Error) => void) => void,
    ): this;
    on(event: 'finish' | 'error', listener: (error?: Error) => void): this;
  }

  export function extract(): Extract;
}
