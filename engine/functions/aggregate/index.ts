import { ATTR } from './attr.js';
import type { AggregateFunction } from '../types.js';
import { AVG } from './avg.js';
import { EARLIEST_BY_OFFSET, LATEST_BY_OFFSET } from './by-offset.js';
import { collectList, collectSet } from './collect.js';
import type { AggregateOptions } from './common.js';
import { CORRELATION } from './correlation.js';
import { COUNT, COUNT_DISTINCT } from './count.js';
import { HISTOGRAM } from './histogram.js';
import { MAX, MIN } from './min-max.js';
import { STDDEV_SAMP, STDDEV_SAMPLE } from './stddev.js';
import { SUM, SUM_LIST } from './sum.js';
import { TOPK, TOPKDISTINCT } from './topk.js';

export type { AggregateOptions, BuiltinAggregateImpl } from './common.js';

/** The built-in aggregate functions (UDAFs) of the ksqlDB dialect. */
export function aggregateFunctions(options: AggregateOptions = {}): AggregateFunction[] {
  return [
    ATTR,
    AVG,
    collectList(options.collectListLimit),
    collectSet(options.collectSetLimit),
    CORRELATION,
    COUNT,
    COUNT_DISTINCT,
    EARLIEST_BY_OFFSET,
    HISTOGRAM,
    LATEST_BY_OFFSET,
    MAX,
    MIN,
    STDDEV_SAMP,
    STDDEV_SAMPLE,
    SUM,
    SUM_LIST,
    TOPK,
    TOPKDISTINCT,
  ];
}
