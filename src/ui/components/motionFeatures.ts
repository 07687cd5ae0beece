/** framer-motion's DOM animation features, loaded after first paint (LazyMotion). */
export { domAnimation as default } from 'motion/react'
