import { describe, expect, it } from 'vitest';
import { serviceOwned } from './service-cleanup.js';

describe('serviceOwned', () => {
  it('finds the command and processing-log topics, internal topics and groups of a service, not another service\'s', () => {
    const topics = [
      '_confluent-ksql-team_a_c1__command_topic',
      'team_a_c1_ksql_processing_log',
      '_confluent-ksql-team_a_c1_query_CTAS_T_0-Aggregate-Materialize-changelog',
      '_confluent-ksql-team_a_c1_query_CTAS_T_0-Aggregate-GroupBy-repartition',
      '_confluent-ksql-team_a_c1_x_query_CSAS_S_0-Join-repartition',
      'team-a.orders',
      'ORDERS_PER_CUSTOMER',
    ];
    const groups = ['_confluent-ksql-team_a_c1_query_CTAS_T_0', '_confluent-ksql-team_a_c1_command_runner_p0', '_confluent-ksql-team_a_c1_x_query_CSAS_S_0', 'my-app'];
    expect(serviceOwned('team_a_c1_', topics, groups)).toEqual({
      topics: [
        '_confluent-ksql-team_a_c1__command_topic',
        '_confluent-ksql-team_a_c1_query_CTAS_T_0-Aggregate-GroupBy-repartition',
        '_confluent-ksql-team_a_c1_query_CTAS_T_0-Aggregate-Materialize-changelog',
        'team_a_c1_ksql_processing_log',
      ],
      groups: ['_confluent-ksql-team_a_c1_command_runner_p0', '_confluent-ksql-team_a_c1_query_CTAS_T_0'],
    });
  });
});
