import './ui/emoji-font.css'
import './ui/theme.css'
import { mount } from 'svelte'
import App from './App.svelte'
import { session } from './state/session.svelte'

mount(App, { target: document.getElementById('app') ?? document.body })
void session.connect()
