// tsc (project references) checks the renderer's .ts files; svelte-check checks .svelte files.
// This lets tsc see components as components without compiling them.
declare module '*.svelte' {
  import type { Component } from 'svelte'
  const component: Component<Record<string, unknown>>
  export default component
}

// Stylesheets are bundled by Vite; importing one is only a side effect.
declare module '*.css'

/** Vite's `?url` imports: the built file's URL (the PDF.js worker). */
declare module '*?url' {
  const url: string
  export default url
}
