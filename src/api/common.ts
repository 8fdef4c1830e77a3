import { z } from 'zod';

/** The API group and version of every Latchkey kind. */
export const GROUP = 'latchkey.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

// RFC 1123 subdomain, as Kubernetes requires for object names.
const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';

/** How the description of a field the schema accepts but nothing reads yet begins (issue 16, item 1). */
export const NOT_USED_YET = 'Accepted, not used yet';

/**
 * The description of such a field, so the reference and `kubectl explain` do not pass it off as a feature.
 * `until` names what will use it.
 */
export function notUsedYet(until: string, description: string): string {
  return `${NOT_USED_YET} (${until}). ${description}`;
}

/** `displayName` of a kind that a page people see shows: at most 200 characters. */
export function shownDisplayName(description: string) {
  return z.string().max(200).optional().meta({ description });
}

export const objectName = z.string().min(1).max(253).regex(new RegExp(DNS_SUBDOMAIN));
export const namespaceName = z.string().min(1).max(63).regex(new RegExp(DNS_LABEL));

/**
 * A cross-field rule, stated once: the generator writes `cel` into the CRD as an
 * `x-kubernetes-validations` entry, and dev mode and `latchkey validate` run `holds`.
 */
export interface CrossFieldRule<T> {
  cel: string;
  message: string;
  /** Dotted path (below the object the rule sits on) that the error points at. */
  field: string;
  holds: (value: T) => boolean;
}

/** Attaches rules to an object schema so both the CRD and the offline validator see them. */
export function withRules<S extends z.ZodType>(schema: S, rules: CrossFieldRule<z.output<S>>[]): S {
  let out = schema;
  for (const r of rules) {
    out = out.refine((v: z.output<S>) => r.holds(v), { message: r.message, path: r.field.split('.') }) as S;
  }
  // Metadata last: it belongs to the schema instance, and refine() returns a new one.
  return out.meta({
    ...schema.meta(),
    'x-kubernetes-validations': rules.map((r) => ({
      rule: r.cel,
      message: r.message,
      fieldPath: `.${r.field}`,
    })),
  });
}

/** A Go-style duration (`90s`, `5m`, `1h30m`), as Kubernetes users write them. */
export const duration = z
  .string()
  .regex(/^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/)
  .meta({ description: 'A duration such as `90s`, `5m` or `1h30m` (units ms, s, m, h).' });

/** A reference to another object of a known kind; the namespace defaults to the referrer's own. */
/** "a Role", "an OAuthClient". */
function withArticle(what: string): string {
  return `${/^[AEIOU]/.test(what) ? 'an' : 'a'} ${what}`;
}

export function objectRef(what: string) {
  return z
    .object({
      name: objectName.meta({ description: `Name of the ${what}.` }),
      namespace: namespaceName
        .optional()
        .meta({ description: `Namespace of the ${what}; defaults to the namespace of this object.` }),
    })
    .meta({
      description: `Reference to ${withArticle(what)}. A reference into another namespace is honoured only when the ${what}'s \`allowedNamespaces\` selects this object's namespace.`,
    });
}

export const labelSelector = z
  .object({
    matchLabels: z
      .record(z.string(), z.string())
      .optional()
      .meta({ description: 'Namespaces whose labels include all of these key/value pairs.' }),
    matchExpressions: z
      .array(
        z.object({
          key: z.string().min(1).meta({ description: 'The label key the requirement applies to.' }),
          operator: z
            .enum(['In', 'NotIn', 'Exists', 'DoesNotExist'])
            .meta({ description: "How the key's value relates to `values`." }),
          values: z.array(z.string()).optional().meta({
            description: 'Values for `In` and `NotIn`; must be empty for `Exists` and `DoesNotExist`.',
          }),
        }),
      )
      .optional()
      .meta({ description: 'Label requirements that namespaces must all satisfy.' }),
  })
  .meta({
    description:
      'A Kubernetes label selector over namespaces. An empty selector (`{}`) selects every namespace; an absent one selects none but the own.',
  });

export const allowedNamespaces = labelSelector.optional().meta({
  description:
    "Which other namespaces may reference this object, selected by their labels. Without it only objects in the same namespace can; `{}` allows every namespace. No team can grant itself another team's API by writing a manifest.",
});

export const conditionStatus = z.enum(['True', 'False', 'Unknown']);

/** A status condition per the Kubernetes API conventions. */
export const condition = z.object({
  type: z.string().meta({ description: 'Condition type in CamelCase, e.g. `Ready`.' }),
  status: conditionStatus.meta({ description: 'True, False or Unknown.' }),
  reason: z.string().meta({ description: 'A CamelCase constant saying why; see the troubleshooting guide.' }),
  message: z.string().meta({ description: 'What happened and what to do about it, for a person.' }),
  observedGeneration: z
    .number()
    .int()
    .optional()
    .meta({ description: 'The `metadata.generation` this condition was computed for.' }),
  lastTransitionTime: z
    .string()
    .meta({ description: 'When `status` last changed (RFC 3339).', format: 'date-time' }),
});

export const conditions = z
  .array(condition)
  .optional()
  .meta({
    description: 'Observations of the object, per Kubernetes API conventions; every kind has `Ready`.',
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['type'],
  });

export const observedGeneration = z
  .number()
  .int()
  .optional()
  .meta({ description: 'The most recent `metadata.generation` the operator acted on.' });
