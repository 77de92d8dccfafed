import type { CommandEntry } from '../io'

/**
 * Every `flowscope` command, by name, each in its own module beside this one. Modules load on
 * use (a separate chunk each), so `analyze` does not pay for the history store or the probes.
 */
export const commands: Record<string, CommandEntry> = {
  analyze: {
    summary: 'report the conversations, hosts or protocols of a pcap/pcapng file',
    load: async () => (await import('./analyze')).analyzeCommand,
  },
  capture: {
    summary: 'capture live on an interface and report conversations, hosts or protocols',
    load: async () => (await import('./capture')).captureCommand,
  },
  interfaces: {
    summary: 'list network interfaces, their state and capture rights',
    load: async () => (await import('./interfaces')).interfacesCommand,
  },
  probe: {
    summary: 'latency, jitter and loss by ICMP, TCP, UDP, DNS or HTTP probes',
    load: async () => (await import('./probe')).probeCommand,
  },
  report: {
    summary: 'export recorded history (CSV, JSON or a table)',
    load: async () => (await import('./report')).reportCommand,
  },
  serve: {
    summary: 'serve the UI and API to a browser (headless mode)',
    load: async () => (await import('./serve')).serveCommand,
  },
}
