import type { TableFunction } from '../types.js';
import { CUBE_EXPLODE } from './cube-explode.js';
import { EXPLODE } from './explode.js';

/** The built-in table functions (UDTFs) of the ksqlDB dialect. */
export function tableFunctions(): TableFunction[] {
  return [CUBE_EXPLODE, EXPLODE];
}
