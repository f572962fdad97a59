/** The ksetl.io/v1alpha1 API: KsqlCluster and KsqlQuery. */
export * from './common.js';
export * from './conditions.js';
export * from './monitoring.js';
export * from './logging.js';
export * from './engine-config.js';
export * from './ksql-cluster.js';
export * from './ksql-query.js';
export * from './parse.js';
