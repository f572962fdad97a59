/**
 * `deletionPolicy: Delete`: after a KsqlCluster's queries are gone, its
 * engines are stopped (the StatefulSet deleted, so no consumer group keeps a
 * member) and what its service id owns on Kafka is deleted: the command
 * topic, the processing-log topic, internal topics, consumer groups
 * (engine/kafka/service-cleanup.ts). The operator connects to Kafka with the
 * cluster's own connection settings and credentials.
 */
import type { KafkaConnectionOptions, ServiceCleanup } from 'ksetl/engine';
import type { KsqlCluster } from '../../api/ksql-cluster.js';
import type { KubeObject, KubePort } from '../../kube/port.js';
import { RESOURCE } from '../../kube/resources.js';

export type KafkaCleanup = (connection: KafkaConnectionOptions, serviceId: string) => Promise<ServiceCleanup>;

interface SecretLike extends KubeObject {
  data?: Record<string, string>;
}

/** The Kafka connection of a cluster, with its SASL and TLS material read from its Secrets. */
export async function kafkaConnection(kube: KubePort, kc: KsqlCluster): Promise<KafkaConnectionOptions> {
  const { kafka } = kc.spec;
  const ns = kc.metadata.namespace;
  const read = async (secret: string, key: string): Promise<string> => {
    const s = await kube.get<SecretLike>(RESOURCE.Secret, ns, secret);
    const v = s?.data?.[key];
    if (v === undefined) throw new Error(`Secret ${secret} has no key ${key}`);
    return Buffer.from(v, 'base64').toString('utf8');
  };
  let ssl: KafkaConnectionOptions['ssl'];
  if (kafka.tls) {
    const t = kafka.tls;
    const ref = t.secretRef?.name;
    ssl =
      ref && (t.caKey || t.certKey)
        ? {
            ...(t.caKey ? { ca: await read(ref, t.caKey) } : {}),
            ...(t.certKey && t.keyKey ? { cert: await read(ref, t.certKey), key: await read(ref, t.keyKey) } : {}),
          }
        : true;
  }
  const sasl = kafka.sasl
    ? {
        mechanism: kafka.sasl.mechanism.toLowerCase() as 'plain' | 'scram-sha-256' | 'scram-sha-512',
        username: await read(kafka.sasl.secretRef.name, kafka.sasl.usernameKey),
        password: await read(kafka.sasl.secretRef.name, kafka.sasl.passwordKey),
      }
    : undefined;
  return { brokers: kafka.bootstrapServers, ...(ssl !== undefined ? { ssl } : {}), ...(sasl ? { sasl } : {}) };
}
