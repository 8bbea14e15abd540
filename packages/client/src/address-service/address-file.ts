/**
 * The address service's list file. Two layouts are accepted and may be mixed: one `a:1;b:2` line,
 * or one address per line. Blank lines and lines starting with `#` are ignored. The result is
 * validated like any other list and served normalised as `a:1;b:2`.
 */
import { InvalidAddressListError } from '../errors.js';
import { parseAddressList } from '../address/address-list.js';

export function parseAddressFile(text: string, source = 'address file'): string[] {
  const lines = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('#'));
  if (lines.length === 0) {
    throw new InvalidAddressListError(text, `${source} holds no address`);
  }
  try {
    return parseAddressList(lines.map((line) => line.replace(/;$/, '')).join(';'));
  } catch (err) {
    if (err instanceof InvalidAddressListError) {
      throw new InvalidAddressListError(text, `${source}: ${err.message}`, err.entry);
    }
    throw err;
  }
}
