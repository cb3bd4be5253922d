// The one error type of the checkpoint layer: a FileError (a file or folder and what is wrong with
// it), so a message always says which file to look at. Knows nothing about formats.
import { FileError } from '../common/errors.js';

export { messageOf } from '../common/errors.js';

export class CheckpointError extends FileError {
  constructor(file: string, detail: string, options?: { cause?: unknown }) {
    super(file, detail, options);
    this.name = 'CheckpointError';
  }
}
