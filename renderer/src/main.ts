import { createApp } from 'vue'
import App from './App.vue'
import { createClient } from './api/client'
import { apiKey } from './composables/useApi'
import './styles.css'

const app = createApp(App)
app.provide(apiKey, createClient())
app.mount('#app')
