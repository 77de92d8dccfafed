import type { InterfaceInfo } from '../../../common/contract'
import { formatRate } from '../../../common/units'
import { LinuxSysNet } from '../../engine/sysnet/linux'
import { parseCommandArgs } from '../args'
import { UsageError, type Command } from '../io'
import { renderTable } from '../table'

const usage = `Usage: flowscope interfaces [--format table|json]

Lists this host's network interfaces: name, state, MTU, link speed where the driver reports it,
addresses, and whether you may capture on it. Capture goes through the capture helper
(flowscope-capture), the only program with CAP_NET_RAW; if you may not use it, standard error
says exactly how to get the right (join the flowscope group, or grant a checkout's helper).`

export const interfacesCommand: Command = {
  usage,
  async run(args, io) {
    const { values } = parseCommandArgs('interfaces', args, {
      format: { type: 'string', default: 'table' },
    })
    const list = new LinuxSysNet().listInterfaces()
    if (values.format === 'json') {
      io.stdout.write(`${JSON.stringify(list, null, 2)}\n`)
      return 0
    }
    if (values.format !== 'table')
      throw new UsageError(`interfaces: --format must be table or json, got '${values.format}'`)
    io.stdout.write(
      renderTable(['NAME', 'STATE', 'MTU', 'SPEED', 'ADDRESSES', 'CAPTURE'], list.map(row)),
    )
    const denied = list.find((i) => !i.capture.allowed)
    if (denied?.capture.reason) io.stderr.write(`capture: ${denied.capture.reason}\n`)
    return 0
  },
}

function row(i: InterfaceInfo): string[] {
  return [
    i.name,
    i.state,
    i.mtu === null ? '-' : String(i.mtu),
    i.speed_mbps === null ? '-' : formatRate((i.speed_mbps * 1e6) / 8, 'bits', 0),
    i.addresses.map((a) => a.cidr ?? a.address).join(' ') || '-',
    i.capture.allowed ? 'yes' : 'no',
  ]
}
