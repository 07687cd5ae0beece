import '@testing-library/jest-dom/vitest'
import { MotionGlobalConfig } from 'motion/react'

MotionGlobalConfig.skipAnimations = true

if (typeof window !== 'undefined') installDomPolyfills()

/** React Flow measures nodes; jsdom has no layout, so give it just enough. */
function installDomPolyfills(): void {
  class ResizeObserverMock {
    callback: ResizeObserverCallback
    constructor(cb: ResizeObserverCallback) {
      this.callback = cb
    }
    observe(target: Element): void {
      this.callback([{ target } as ResizeObserverEntry], this)
    }
    unobserve(): void {}
    disconnect(): void {}
  }
  if (!('ResizeObserver' in globalThis)) globalThis.ResizeObserver = ResizeObserverMock
  class DOMMatrixReadOnlyMock {
    m22: number
    constructor(transform?: string) {
      const s = transform?.match(/scale\(([1-9.])\)/)?.[1]
      this.m22 = s !== undefined ? +s : 1
    }
  }
  if (!('DOMMatrixReadOnly' in globalThis)) (globalThis as unknown as { DOMMatrixReadOnly: unknown }).DOMMatrixReadOnly = DOMMatrixReadOnlyMock
  Object.defineProperties(globalThis.HTMLElement.prototype, {
    offsetHeight: { get(this: HTMLElement) { return parseFloat(this.style.height) || 1 } },
    offsetWidth: { get(this: HTMLElement) { return parseFloat(this.style.width) || 1 } },
  })
  ;(globalThis.SVGElement.prototype as unknown as { getBBox: () => DOMRect }).getBBox = () => ({ x: 0, y: 0, width: 0, height: 0 }) as DOMRect
}
