/**
 * The page's entry: the stylesheet (in index.html, so the prerendered page is styled at once),
 * then the app. The build prerendered the App into index.html (build/prerender.tsx); the
 * browser paints it before the app's code is even loaded, which starts after that paint. The
 * code is evaluated in a few pieces with a task boundary between them (React DOM, the store
 * with the engine it needs, then the App), so no single task holds the page for long.
 */
import './styles.css'

const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0))

await new Promise<void>((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)))
await import('react-dom/client')
await nextTask()
await import('./store/explainer.ts')
await nextTask()
await import('./boot.tsx')
