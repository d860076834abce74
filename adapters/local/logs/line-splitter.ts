import { StringDecoder } from 'node:string_decoder';

/** Lines longer than this are cut into pieces so one runaway line cannot fill memory. */
export const DEFAULT_MAX_LINE_BYTES = 16 * 1024;

export interface LineSplitterOptions {
  /** @default 16 KB */
  readonly maxLineBytes?: number;
}

/**
 * Turns a process's output chunks into lines: keeps a partial last line until its end
 * arrives, drops the CR of CRLF, and splits lines longer than `maxLineBytes`.
 * Multi-byte UTF-8 characters split across chunks are decoded whole.
 */
export class LineSplitter {
  readonly #decoder = new StringDecoder('utf8');
  readonly #maxLineBytes: number;
  #partial = '';

  constructor(options: LineSplitterOptions = {}) {
    const max = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    if (!Number.isInteger(max) || max < 4) {
      throw new RangeError(`maxLineBytes must be an integer of at least 4, got ${max}`);
    }
    this.#maxLineBytes = max;
  }

  /** The complete lines in this chunk (and any partial line before it). */
  push(chunk: Buffer | string): string[] {
    const text = this.#partial + (typeof chunk === 'string' ? chunk : this.#decoder.write(chunk));
    const pieces = text.split('\n');
    this.#partial = pieces.pop() ?? '';
    const lines: string[] = [];
    for (const piece of pieces) this.#emit(stripCr(piece), lines);
    // A partial line that is already too long is cut now rather than held indefinitely.
    while (Buffer.byteLength(this.#partial) > this.#maxLineBytes) {
      const [head, rest] = cutAtBytes(this.#partial, this.#maxLineBytes);
      lines.push(head);
      this.#partial = rest;
    }
    return lines;
  }

  /** The last line when the output ended without a newline. */
  end(): string[] {
    const rest = this.#partial + this.#decoder.end();
    this.#partial = '';
    if (rest.length === 0) return [];
    const lines: string[] = [];
    this.#emit(stripCr(rest), lines);
    return lines;
  }

  #emit(line: string, into: string[]): void {
    for (const piece of splitUtf8(line, this.#maxLineBytes)) into.push(piece);
  }
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** Cuts `text` into pieces of at most `maxBytes` UTF-8 bytes, never inside a character. */
export function splitUtf8(text: string, maxBytes: number): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (Buffer.byteLength(rest) > maxBytes) {
    const [head, tail] = cutAtBytes(rest, maxBytes);
    pieces.push(head);
    rest = tail;
  }
  pieces.push(rest);
  return pieces;
}

/** Splits after at most `maxBytes` UTF-8 bytes, never inside a character. */
function cutAtBytes(text: string, maxBytes: number): [string, string] {
  let bytes = 0;
  let i = 0;
  while (i < text.length) {
    const code = text.codePointAt(i)!;
    const size = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    if (bytes + size > maxBytes) break;
    bytes += size;
    i += code >= 0x10000 ? 2 : 1;
  }
  // A bound smaller than one character still makes progress.
  if (i === 0 && text.length > 0) i = text.codePointAt(0)! >= 0x10000 ? 2 : 1;
  return [text.slice(0, i), text.slice(i)];
}
