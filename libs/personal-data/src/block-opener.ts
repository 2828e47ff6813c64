import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';

// Imports node's modules only, and so does the worker: the worker loads it for these constants and
// types without the path aliases (@app/…) the rest of the code needs a resolver for.

/** A registration's personal block to open: its dossier, the dossier's wrapped key, its envelope's parts (base64url). */
export interface SealedBlock {
  /** As the event's stream names it: the envelope's additional authenticated data. */
  readonly dossierId: string;
  /** As the key's row names it: the wrapped key's additional authenticated data. */
  readonly keyId: string;
  readonly wrappedKey: Uint8Array;
  readonly iv: string;
  readonly ciphertext: string;
  readonly tag: string;
}

/** The dossier's wrapped key did not unwrap (KeyUnwrapError). */
export const KEY_NOT_UNWRAPPING = 0;
/** The envelope did not open under the dossier's key (PersonalDataDecryptionError). */
export const BLOCK_NOT_OPENING = 1;
/** A block opened: its plaintext (the personal data's JSON); or why not. */
export type OpenedBlock = string | typeof KEY_NOT_UNWRAPPING | typeof BLOCK_NOT_OPENING;

/** One message to the worker: many blocks, their wrapped keys end to end in one buffer (moved, not copied). */
export interface BlocksRequest {
  readonly id: number;
  readonly dossierIds: readonly string[];
  readonly keyIds: readonly string[];
  readonly wrappedKeys: Uint8Array;
  /** Where each block's wrapped key ends in `wrappedKeys`. */
  readonly keyEnds: readonly number[];
  readonly ivs: readonly string[];
  readonly ciphertexts: readonly string[];
  readonly tags: readonly string[];
}

export interface BlocksReply {
  readonly id: number;
  readonly opened: readonly OpenedBlock[];
}

/** A worker with nothing to open for this long ends; the next blocks start another. */
const IDLE_MS = 2_000;

/**
 * Opens personal blocks (each dossier's key unwrapped, its envelope decrypted: two AES-GCM
 * operations a registration) on a worker thread, so that a rebuild's main thread folds one page
 * while the worker opens the next page's blocks (bench/README.md, "The CRT registry's rebuild:
 * indexes and the personal blocks"). The worker holds the master key and nothing else between
 * messages; it logs nothing, and answers each block with its plaintext or a code, never an error's
 * text. It is started on first use, does not keep the process alive, and ends once idle.
 *
 * Loaded alike from the build (block-opener.worker.js beside this file) and from the sources
 * (jest, ts-node: block-opener.worker.ts, through ts-node's require hook, since a worker thread
 * gets neither jest's transform nor the parent's).
 */
export class BlockOpener {
  private worker: Worker | undefined;
  private next = 0;
  private readonly pending = new Map<number, { resolve: (opened: readonly OpenedBlock[]) => void; reject: (error: unknown) => void }>();
  private idle: NodeJS.Timeout | undefined;

  constructor(private readonly keyEncryptionKey: () => Uint8Array) {}

  /** The blocks opened, in their order; rejects when the worker could not answer (the caller opens them itself then). */
  open(blocks: readonly SealedBlock[]): Promise<readonly OpenedBlock[]> {
    if (blocks.length === 0) return Promise.resolve([]);
    const ends: number[] = [];
    let length = 0;
    for (const block of blocks) ends.push((length += block.wrappedKey.length));
    // An ArrayBuffer of its own, moved to the worker: a Buffer of pg's is a view of a larger one, which a message would copy whole.
    const wrappedKeys = new Uint8Array(length);
    blocks.forEach((block, i) => wrappedKeys.set(block.wrappedKey, i === 0 ? 0 : ends[i - 1]));
    const request: BlocksRequest = {
      id: this.next++,
      dossierIds: blocks.map((block) => block.dossierId),
      keyIds: blocks.map((block) => block.keyId),
      wrappedKeys,
      keyEnds: ends,
      ivs: blocks.map((block) => block.iv),
      ciphertexts: blocks.map((block) => block.ciphertext),
      tags: blocks.map((block) => block.tag),
    };
    return new Promise((resolve, reject) => {
      let worker: Worker;
      try {
        worker = this.started();
      } catch (error) {
        reject(error);
        return;
      }
      clearTimeout(this.idle);
      this.pending.set(request.id, { resolve, reject });
      worker.postMessage(request, [wrappedKeys.buffer]);
    });
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const fromSources = extname(__filename) === '.ts';
    const worker = new Worker(join(__dirname, `block-opener.worker${extname(__filename)}`), {
      workerData: { keyEncryptionKey: this.keyEncryptionKey() },
      // Not the parent's options (the service's heap bound is V8's, not a worker's to take).
      execArgv: fromSources ? ['--require', 'ts-node/register/transpile-only'] : [],
      // Its output is not this process's: nothing of a block may reach a log.
      stdout: true,
      stderr: true,
    });
    worker.unref();
    worker.on('message', (reply: BlocksReply) => {
      const waiting = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      waiting?.resolve(reply.opened);
      if (this.pending.size === 0) this.endWhenIdle(worker);
    });
    const ended = (error: unknown) => {
      if (this.worker === worker) this.worker = undefined;
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    };
    worker.on('error', ended);
    worker.on('exit', (code) => ended(new Error(`The personal blocks' worker ended (exit code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private endWhenIdle(worker: Worker): void {
    clearTimeout(this.idle);
    this.idle = setTimeout(() => {
      if (this.worker === worker && this.pending.size === 0) {
        this.worker = undefined;
        void worker.terminate();
      }
    }, IDLE_MS);
    this.idle.unref();
  }
}
