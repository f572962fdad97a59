import type { Step } from './topology.js';

/** Whether a step's records are a table's changes (a materialized source, an aggregation, a table-table join, and what follows them). */
export function isTableStep(step: Step): boolean {
  switch (step.kind) {
    case 'Source':
      return step.sourceType === 'TABLE';
    case 'Aggregate':
      return true;
    case 'Join':
      return step.variant === 'TABLE_TABLE' || step.variant === 'FK_TABLE_TABLE';
    case 'Rekey':
      return false;
    case 'Filter':
    case 'Project':
    case 'FlatMap':
    case 'Suppress':
    case 'Sink':
      return isTableStep(step.input);
  }
}

/**
 * Whether a table step's changes carry their previous values (`Rec.old`)
 * when its consumer asks for them: a materialized source and table joins
 * always do, an aggregation on request; suppressed (EMIT FINAL) results never.
 */
export function carriesOld(step: Step): boolean {
  switch (step.kind) {
    case 'Source':
    case 'Aggregate':
    case 'Join':
      return isTableStep(step);
    case 'Filter':
    case 'Project':
      return carriesOld(step.input);
    case 'FlatMap':
    case 'Rekey':
    case 'Suppress':
    case 'Sink':
      return false;
  }
}
