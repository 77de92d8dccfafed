/**
 * A fake of the parts of `electron` the main process uses, for `vi.mock('electron', ...)`: enough
 * behaviour to drive the wiring (events, ports, processes), and records of what main asked for.
 * MessageChannelMain is Node's MessageChannel behind MessagePortMain's event shape.
 */
import { EventEmitter } from 'node:events'
import { MessageChannel, type MessagePort } from 'node:worker_threads'

export interface PortEventLike {
  data: unknown
  ports: MainPort[]
}

/** MessagePortMain over a Node MessagePort. */
export class MainPort extends EventEmitter {
  closed = false
  constructor(readonly node: MessagePort) {
    super()
    node.on('message', (data: unknown) => this.emit('message', { data, ports: [] }))
    node.on('close', () => {
      this.closed = true
      this.emit('close')
    })
  }
  postMessage(message: unknown): void {
    if (!this.closed) this.node.postMessage(message)
  }
  start(): void {
    this.node.start()
  }
  close(): void {
    this.closed = true
    this.node.close()
  }
}

export class MessageChannelMain {
  readonly port1: MainPort
  readonly port2: MainPort
  constructor() {
    const { port1, port2 } = new MessageChannel()
    this.port1 = new MainPort(port1)
    this.port2 = new MainPort(port2)
    state.channels.push(this)
  }
}

let nextPid = 1000

export class FakeUtilityProcess extends EventEmitter {
  pid: number | undefined = nextPid++
  readonly posted: Array<{ message: unknown; ports: MainPort[] }> = []
  killed = false
  constructor(
    readonly modulePath: string,
    readonly options: { serviceName?: string },
  ) {
    super()
  }
  postMessage(message: unknown, ports: MainPort[] = []): void {
    this.posted.push({ message, ports })
  }
  kill(): boolean {
    this.killed = true
    queueMicrotask(() => this.exit(null))
    return true
  }
  /** Test helper: the process ends with `code` (null: killed, reported by Electron as 0/-1). */
  exit(code: number | null): void {
    const pid = this.pid
    this.pid = undefined
    if (pid !== undefined) this.emit('exit', code ?? -1)
  }
  /** Test helper: a message from the process's parent port. */
  send(data: unknown): void {
    this.emit('message', data)
  }
}

export const utilityProcess = {
  fork: (modulePath: string, _args: string[], options: { serviceName?: string }) => {
    const p = new FakeUtilityProcess(modulePath, options)
    state.processes.push(p)
    return p
  },
}

let nextRouting = 1
export class WebFrameMain {
  readonly posted: Array<{ channel: string; message: unknown; ports: MainPort[] }> = []
  readonly processId = 7
  readonly routingId = nextRouting++
  constructor(
    public url: string,
    readonly parent: WebFrameMain | null = null,
  ) {}
  postMessage(channel: string, message: unknown, ports: MainPort[] = []): void {
    this.posted.push({ channel, message, ports })
  }
}

let nextWc = 1
export class WebContents extends EventEmitter {
  readonly id = nextWc++
  mainFrame: WebFrameMain
  windowOpenHandler: ((d: { url: string }) => { action: string }) | null = null
  destroyed = false
  constructor(url = '') {
    super()
    this.mainFrame = new WebFrameMain(url)
  }
  isDestroyed(): boolean {
    return this.destroyed
  }
  getURL(): string {
    return this.mainFrame.url
  }
  setWindowOpenHandler(h: (d: { url: string }) => { action: string }): void {
    this.windowOpenHandler = h
  }
}

export class BrowserWindow extends EventEmitter {
  static all: BrowserWindow[] = []
  static getAllWindows(): BrowserWindow[] {
    return BrowserWindow.all.filter((w) => !w.destroyed)
  }
  readonly webContents = new WebContents()
  visible = false
  minimized = false
  maximized = false
  focused = false
  destroyed = false
  loaded: string | null = null
  bounds = { x: 0, y: 0, width: 0, height: 0 }
  constructor(
    readonly options: Record<string, unknown> & { webPreferences: Record<string, unknown> },
  ) {
    super()
    BrowserWindow.all.push(this)
    this.bounds = {
      x: (options['x'] as number) ?? 0,
      y: (options['y'] as number) ?? 0,
      width: options['width'] as number,
      height: options['height'] as number,
    }
  }
  loadFile(file: string): Promise<void> {
    this.loaded = file
    this.webContents.mainFrame.url = `file://${file}`
    return Promise.resolve()
  }
  loadURL(url: string): Promise<void> {
    this.loaded = url
    this.webContents.mainFrame.url = url
    return Promise.resolve()
  }
  show(): void {
    this.visible = true
  }
  hide(): void {
    this.visible = false
  }
  focus(): void {
    this.focused = true
  }
  isMinimized(): boolean {
    return this.minimized
  }
  restore(): void {
    this.minimized = false
  }
  maximize(): void {
    this.maximized = true
  }
  isMaximized(): boolean {
    return this.maximized
  }
  isDestroyed(): boolean {
    return this.destroyed
  }
  getNormalBounds() {
    return this.bounds
  }
  /** Test helper: the operator closes the window; returns whether the close went ahead. */
  close(): boolean {
    let prevented = false
    this.emit('close', { preventDefault: () => (prevented = true) })
    if (!prevented) {
      this.destroyed = true
      this.emit('closed')
    }
    return !prevented
  }
}

export class MenuItem {
  id?: string
  label?: string
  type?: string
  checked?: boolean
  enabled?: boolean
  submenu?: Menu
  click?: (item: MenuItem) => void
  constructor(o: Record<string, unknown>) {
    Object.assign(this, o)
    if (Array.isArray(o['submenu'])) this.submenu = Menu.buildFromTemplate(o['submenu'] as never)
    this.enabled = (o['enabled'] as boolean | undefined) ?? true
  }
}

export class Menu {
  constructor(readonly items: MenuItem[]) {}
  static buildFromTemplate(template: Array<Record<string, unknown>>): Menu {
    return new Menu(template.map((t) => new MenuItem(t)))
  }
  getMenuItemById(id: string): MenuItem | null {
    for (const item of this.items) {
      if (item.id === id) return item
      const inner = item.submenu?.getMenuItemById(id)
      if (inner) return inner
    }
    return null
  }
}

export class Tray extends EventEmitter {
  tooltip = ''
  title = ''
  menu: Menu | null = null
  constructor(readonly image: unknown) {
    super()
    state.trays.push(this)
  }
  setToolTip(t: string): void {
    this.tooltip = t
  }
  setTitle(t: string): void {
    this.title = t
  }
  setContextMenu(m: Menu): void {
    this.menu = m
  }
}

export const nativeImage = { createFromPath: (p: string) => ({ path: p }) }

export class Notification {
  static supported = true
  static shown: Array<{ title: string; body: string }> = []
  static isSupported(): boolean {
    return Notification.supported
  }
  constructor(readonly o: { title: string; body: string }) {}
  show(): void {
    Notification.shown.push({ title: this.o.title, body: this.o.body })
  }
}

export const ipcMain = new EventEmitter()

export const app = Object.assign(new EventEmitter(), {
  lock: true,
  quitCalls: 0,
  loginItem: null as unknown,
  requestSingleInstanceLock: () => app.lock,
  quit: () => {
    app.quitCalls++
  },
  whenReady: () => Promise.resolve(),
  paths: new Map<string, string>(),
  getPath: (name: string) =>
    app.paths.get(name) ?? (name === 'appData' ? state.appData : state.userData),
  setPath: (name: string, value: string) => void app.paths.set(name, value),
  setLoginItemSettings: (s: unknown) => {
    app.loginItem = s
  },
})

export const dialog = {
  answers: [] as number[],
  asked: 0,
  showMessageBoxSync: () => {
    dialog.asked++
    return dialog.answers.shift() ?? 0
  },
}

export const shell = { opened: [] as string[], openExternal: (u: string) => shell.opened.push(u) }

export const screen = {
  displays: [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }],
  getAllDisplays: () => screen.displays,
}

export const protocol = {
  schemes: [] as unknown[],
  handlers: new Map<string, (r: Request) => Promise<Response> | Response>(),
  registerSchemesAsPrivileged: (s: unknown[]) => protocol.schemes.push(...s),
  handle: (scheme: string, h: (r: Request) => Promise<Response> | Response) =>
    protocol.handlers.set(scheme, h),
}

export const session = {
  defaultSession: {
    headersListener: null as null | ((d: unknown, cb: (r: unknown) => void) => void),
    permissionRequest: null as null | ((wc: unknown, p: string, cb: (ok: boolean) => void) => void),
    permissionCheck: null as null | ((...a: unknown[]) => boolean),
    webRequest: {
      onHeadersReceived: (l: (d: unknown, cb: (r: unknown) => void) => void) => {
        session.defaultSession.headersListener = l
      },
    },
    setPermissionRequestHandler: (
      h: (wc: unknown, p: string, cb: (ok: boolean) => void) => void,
    ) => {
      session.defaultSession.permissionRequest = h
    },
    setPermissionCheckHandler: (h: (...a: unknown[]) => boolean) => {
      session.defaultSession.permissionCheck = h
    },
  },
}

export const state = {
  userData: '/nonexistent',
  appData: '/nonexistent',
  processes: [] as FakeUtilityProcess[],
  channels: [] as MessageChannelMain[],
  trays: [] as Tray[],
}

/** Forgets everything recorded (call in beforeEach). */
export function resetFake(userData: string): void {
  state.userData = userData
  state.appData = userData
  app.paths.clear()
  state.processes.length = 0
  state.channels.length = 0
  state.trays.length = 0
  BrowserWindow.all.length = 0
  Notification.shown.length = 0
  Notification.supported = true
  ipcMain.removeAllListeners()
  app.removeAllListeners()
  app.lock = true
  app.quitCalls = 0
  app.loginItem = null
  dialog.answers.length = 0
  dialog.asked = 0
  shell.opened.length = 0
  protocol.handlers.clear()
}

/** Resolves after pending port messages and microtasks have been delivered. */
export const settle = () => new Promise((r) => setTimeout(r, 20))
