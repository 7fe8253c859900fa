export { waitFor } from '../../src/wait-for.js'
