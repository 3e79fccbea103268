/** The router: one route module per domain under routes/modules/, views loaded lazily, one guard. */
import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'

import { installGuard } from './guard'

const modules = import.meta.glob<{ default: RouteRecordRaw[] }>('./routes/modules/*.ts', { eager: true })
// The catch-all (core.ts) must come last whatever the file order.
const routes = Object.values(modules)
  .flatMap((module) => module.default)
  .sort((a, b) => Number(a.path.startsWith('/:pathMatch')) - Number(b.path.startsWith('/:pathMatch')))

export const router = createRouter({
  history: createWebHistory(import.meta.env.BASE_URL),
  routes,
  scrollBehavior: () => ({ top: 0 }),
})

installGuard(router)
