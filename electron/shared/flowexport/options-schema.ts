/**
 * FlowExportOptions as a zod schema, for the capture worker's start message: the host validated
 * the settings already (engine/flowexport/settings.ts), the worker checks the shape it receives.
 */
import { z } from 'zod'
import type { FlowExportOptions } from './options'

const CollectorSchema = z.object({
  protocol: z.enum(['ipfix', 'netflow9']),
  transport: z.enum(['udp', 'tcp']),
  host: z.string().min(1).max(1024),
  port: z.number().int().min(1).max(65535),
  url: z.string().max(1024),
})

export const FlowExportOptionsSchema = z.object({
  collectors: z.array(CollectorSchema).min(1).max(16),
  activeTimeoutS: z.number().min(1).max(86400).optional(),
  idleTimeoutS: z.number().min(1).max(86400).optional(),
  domainId: z.number().int().min(0).max(4294967295).optional(),
  templateRefreshS: z.number().min(0).max(86400).optional(),
  templateRefreshMessages: z.number().int().min(0).optional(),
  mtu: z.number().int().min(576).max(65535).optional(),
  ingressInterface: z.number().int().min(0).optional(),
  maxQueue: z.number().int().min(1).max(1e6).optional(),
}) satisfies z.ZodType<FlowExportOptions>
