/** NONE format: no columns; bytes are ignored on read and nothing is written. */
import { SerdeError, type Serde, type SerdeColumn } from './types.js';

export function noneSerde(columns: readonly SerdeColumn[], isKey: boolean): Serde {
  if (columns.length > 0) {
    throw new SerdeError(
      `The 'NONE' format can only be used when no columns are defined. Got: [${columns.map((c) => `\`${c.name}\` ${c.type.kind}${isKey ? ' KEY' : ''}`).join(', ')}]`,
    );
  }
  return {
    serialize: () => null,
    deserialize: () => [],
  };
}
