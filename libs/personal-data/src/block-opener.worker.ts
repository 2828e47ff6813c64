import { parentPort, workerData } from 'node:worker_threads';
import { gcmOpenBase64url } from './aes-gcm';
import { BLOCK_NOT_OPENING, KEY_NOT_UNWRAPPING, type BlocksReply, type BlocksRequest, type OpenedBlock } from './block-opener';
import { KeyUnwrapError, MasterKey } from './master-key';

/**
 * BlockOpener's worker thread: unwraps each block's dossier key and opens the block with it, as
 * PersonalDataKeys and openPersonalData do on the main thread (the same MasterKey.unwrap and
 * gcmOpenBase64url). Relative imports only: it runs without the path aliases' resolver. It writes
 * nothing anywhere but its replies; a key lives for its block's opening only.
 */
const master = MasterKey.inWorker((workerData as { keyEncryptionKey: Uint8Array }).keyEncryptionKey);

function opened(request: BlocksRequest, i: number): OpenedBlock {
  const dossierId = request.dossierIds[i];
  let key: Buffer;
  try {
    key = master.unwrap(request.wrappedKeys.subarray(i === 0 ? 0 : request.keyEnds[i - 1], request.keyEnds[i]), request.keyIds[i]);
  } catch (error) {
    if (error instanceof KeyUnwrapError) return KEY_NOT_UNWRAPPING;
    throw error;
  }
  const plaintext = gcmOpenBase64url(key, { iv: request.ivs[i], ciphertext: request.ciphertexts[i], tag: request.tags[i] }, dossierId);
  return plaintext === undefined ? BLOCK_NOT_OPENING : plaintext.toString('utf8');
}

parentPort!.on('message', (request: BlocksRequest) => {
  const reply: BlocksReply = { id: request.id, opened: request.dossierIds.map((_, i) => opened(request, i)) };
  parentPort!.postMessage(reply);
});
