/**
 * The page's entry: the stylesheet (in index.html, so the prerendered page is styled at once),
 * then the app. The build prerendered the App into index.html (build/prerender.tsx); the
 * browser paints it before the app's code is even loaded, which starts after that paint.
 */
import './styles.css'

await new Promise<void>((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)))
await import('./boot.tsx')
