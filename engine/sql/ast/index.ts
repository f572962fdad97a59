export type * from './expression.js';
export type * from './node.js';
export type * from './query.js';
export type * from './statement.js';
export type * from './type-node.js';
