/** Light or dark: the saved choice, else the system's; applied to <html data-theme>. */
import { useEffect } from 'react'
import { useExplainer } from '../store/explainer.ts'
import type { Theme } from '../store/explainer.ts'

const KEY = 'packetwalk.theme'

export function useTheme(): void {
  const theme = useExplainer((s) => s.theme)
  useEffect(() => {
    let saved: string | null
    try {
      saved = window.localStorage.getItem(KEY)
    } catch {
      saved = null
    }
    const initial: Theme = saved === 'dark' || saved === 'light' ? saved : window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'
    useExplainer.getState().setTheme(initial)
  }, [])
  useEffect(() => {
    document.documentElement.dataset.theme = theme
    document.documentElement.style.colorScheme = theme
  }, [theme])
}

export function saveTheme(t: Theme): void {
  try {
    window.localStorage.setItem(KEY, t)
  } catch {
    // storage may be disabled: the choice lasts for this page only
  }
  useExplainer.getState().setTheme(t)
}
