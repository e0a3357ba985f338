// The optional NetworkPolicy's values: `true` for the defaults, or an object with peers, target ports and the DNS port.
import { z } from 'zod';
import { dnsLabel } from './formats.js';

const port = z.number().int().min(1, 'must be 1–65535').max(65535, 'must be 1–65535');
const selector = z.strictObject({
  matchLabels: z.record(z.string(), z.string()).optional(),
  matchExpressions: z
    .array(z.strictObject({ key: z.string().min(1), operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']), values: z.array(z.string()).optional() }))
    .optional(),
});
const cidr = z.string().regex(/^([0-9]{1,3}(\.[0-9]{1,3}){3}\/[0-9]{1,2}|[0-9a-fA-F:]+\/[0-9]{1,3})$/, 'must be a CIDR such as 10.0.0.0/8');

/** A NetworkPolicy peer, as Kubernetes writes it. */
export const networkPeer = z.union([
  z.strictObject({ ipBlock: z.strictObject({ cidr, except: z.array(cidr).optional() }) }),
  z
    .strictObject({ namespaceSelector: selector.optional(), podSelector: selector.optional() })
    .refine((p) => p.namespaceSelector || p.podSelector, 'must set namespaceSelector, podSelector or both'),
]);
export type NetworkPeer = z.output<typeof networkPeer>;

/**
 * One destination: a component by name, or `repository`, `copies` (every copy's S3 store), `pushgateway`, `kubernetes-api`. `to` limits the peers;
 * `ports` replaces the Service port by the pod's port (policies match after DNAT: a MinIO Service 443 → pod 9000).
 */
export const networkDestination = z.strictObject({ to: z.array(networkPeer).min(1).optional(), ports: z.array(port).min(1).optional() });

export const NETWORK_DESTINATIONS_RESERVED = ['repository', 'copies', 'pushgateway', 'kubernetes-api'] as const;

export const networkPolicy = z
  .union([
    z.boolean(),
    z.strictObject({
      enabled: z.boolean().default(true),
      /** The cluster DNS port (OpenShift's DNS pods listen on 5353). @default 53, 5353 with platform: openshift */
      dnsPort: port.optional(),
      /** Peers of the DNS rule, e.g. the kube-system namespace. @default any */
      dnsTo: z.array(networkPeer).min(1).optional(),
      destinations: z.record(dnsLabel, networkDestination).default({}),
    }),
  ])
  .default(false);
export type NetworkPolicyValues = z.output<typeof networkPolicy>;
