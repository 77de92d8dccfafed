/**
 * The kept probe target list is checked with the probe worker's own parser before it is stored,
 * so a target saved on the Settings or Probes page always starts. The message names the item
 * the way a schema error would (`targets.2 ...`), so the page shows it next to that line.
 */
import type { ProbeTargetList } from '../../../common/contract'
import { parseProbeTarget } from '../../shared/probes/target'
import { EngineError } from '../api'

export function checkProbeTargets(list: ProbeTargetList): ProbeTargetList {
  list.targets.forEach((target, i) => {
    try {
      parseProbeTarget(target)
    } catch (err) {
      throw new EngineError(
        'BAD_REQUEST',
        `probes.targets.set: invalid params: targets.${i} ${err instanceof Error ? err.message : String(err)}`,
      )
    }
  })
  return list
}
