/**
 * Status conditions shared by every ksetl.io resource, in the shape of
 * metav1.Condition: `Ready`, `Progressing`, `Degraded` (and `SqlValid` on
 * KsqlQuery) with PascalCase reasons.
 */
import { z } from 'zod';

export const ConditionStatus = z.enum(['True', 'False', 'Unknown']);
export type ConditionStatus = z.infer<typeof ConditionStatus>;

/** PascalCase, as metav1.Condition requires ("ReplicasNotReady", "SqlInvalid"). */
export const ConditionReason = z
  .string()
  .min(1)
  .max(1024)
  .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/, 'must be a PascalCase reason');

export const Condition = z
  .object({
    type: z.string().min(1).max(316).describe('The condition (Ready, Degraded, ...)'),
    status: ConditionStatus.describe('True, False or Unknown'),
    reason: ConditionReason.describe('Why, in one PascalCase word'),
    message: z.string().max(32768).default('').describe('Why, for people'),
    lastTransitionTime: z.string().datetime({ offset: true }).describe('When the status last changed'),
    observedGeneration: z.number().int().min(0).optional().describe('The generation the condition was set for'),
  })
  .strict()
  .describe('A condition (metav1.Condition)');
export type Condition = z.infer<typeof Condition>;

/** The conditions list, merged by `type` under server-side apply. */
export const Conditions = z.array(Condition).max(16);

/** Condition types both resources carry. */
export const CommonConditionType = {
  Ready: 'Ready',
  Progressing: 'Progressing',
  Degraded: 'Degraded',
} as const;
