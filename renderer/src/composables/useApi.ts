import { inject, type InjectionKey } from 'vue'
import type { ClientApi } from '../api/client'

export const apiKey: InjectionKey<ClientApi> = Symbol('flowscope-api')

export function useApi(): ClientApi {
  const api = inject(apiKey)
  if (!api) throw new Error('Flowscope API not provided')
  return api
}
