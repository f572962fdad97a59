import { describe, expect, it } from 'vitest';
import { describeViolations, topicViolations } from './topic-access.js';

describe('topicViolations', () => {
  const access = { read: ['shared.'], write: ['team-a.'] };

  it('allows everything without spec.topics', () => {
    expect(topicViolations({ reads: ['x'], writes: ['y'] }, undefined)).toEqual([]);
  });

  it('allows reads under the read or write prefixes and the cluster\'s own topics, writes under the write prefixes', () => {
    expect(topicViolations({ reads: ['shared.orders', 'team-a.big', 'c_ksql_processing_log'], writes: ['team-a.BIG'] }, access, ['c_ksql_processing_log'])).toEqual([]);
  });

  it('names what is outside, and says how to fix it', () => {
    const v = topicViolations({ reads: ['team-b.secret'], writes: ['ORDERS_PER_CUSTOMER', 'shared.orders'] }, access);
    expect(v).toEqual([
      { topic: 'ORDERS_PER_CUSTOMER', access: 'write' },
      { topic: 'shared.orders', access: 'write' },
      { topic: 'team-b.secret', access: 'read' },
    ]);
    expect(describeViolations(v, access)).toBe(
      "spec.sql writes 'ORDERS_PER_CUSTOMER', 'shared.orders' outside the cluster's write prefixes [team-a.] and reads 'team-b.secret' outside the cluster's read prefixes [shared., team-a.] (KsqlCluster spec.topics); name the topic with KAFKA_TOPIC under an allowed prefix",
    );
  });
});
