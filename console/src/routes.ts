import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router';
import { session, signOut } from './auth/session';
import { can, loadMe, me } from './permissions';
import AppLayout from './views/AppLayout.vue';
import ChargerDetailView from './views/ChargerDetailView.vue';
import ChargersView from './views/ChargersView.vue';
import DashboardView from './views/DashboardView.vue';
import ForbiddenView from './views/ForbiddenView.vue';
import SignInView from './views/SignInView.vue';
import StationDetailView from './views/StationDetailView.vue';
import StationsView from './views/StationsView.vue';
import { ADMIN_MENU } from './views/admin/menu';
import OrderDetailView from './views/orders/OrderDetailView.vue';
import OrdersView from './views/orders/OrdersView.vue';
import TariffsView from './views/tariffs/TariffsView.vue';
import PaymentDetailView from './views/payments/PaymentDetailView.vue';
import PaymentsView from './views/payments/PaymentsView.vue';
import RefundsView from './views/payments/RefundsView.vue';
import ReconciliationView from './views/payments/ReconciliationView.vue';
import StatementsView from './views/payments/StatementsView.vue';

/** The screens of the menu, each with the permission it needs (its menu item is shown only with it). */
export const MENU = [
  { path: '/dashboard', name: 'dashboard', label: 'menu.dashboard', permission: 'station:read', component: DashboardView },
  { path: '/stations', name: 'stations', label: 'menu.stations', permission: 'station:read', component: StationsView },
  { path: '/chargers', name: 'chargers', label: 'menu.chargers', permission: 'station:read', component: ChargersView },
  { path: '/orders', name: 'orders', label: 'menu.orders', permission: 'order:read', component: OrdersView },
  { path: '/tariffs', name: 'tariffs', label: 'menu.tariffs', permission: 'tariff:read', component: TariffsView },
  { path: '/payments', name: 'payments', label: 'pay.menu.payments', permission: 'payment:read', component: PaymentsView },
  // read like the payments: the same permission and data scope
  { path: '/refunds', name: 'refunds', label: 'pay.menu.refunds', permission: 'payment:read', component: RefundsView },
  { path: '/reconciliation', name: 'reconciliation', label: 'pay.menu.reconciliation', permission: 'order:read', component: ReconciliationView },
  { path: '/statements', name: 'statements', label: 'pay.menu.statements', permission: 'payment:read', component: StatementsView },
  ...ADMIN_MENU,
] as const;

const routes: RouteRecordRaw[] = [
  { path: '/sign-in', name: 'sign-in', component: SignInView, meta: { public: true } },
  {
    path: '/',
    component: AppLayout,
    children: [
      // the first screen the user may see (after the global guard has loaded me; a redirect would run before it)
      { path: '', name: 'home', component: ForbiddenView, beforeEnter: () => MENU.find((m) => can(m.permission))?.path ?? true },
      { path: 'forbidden', name: 'forbidden', component: ForbiddenView },
      ...MENU.map((m) => ({ path: m.path.slice(1), name: m.name, component: m.component, meta: { permission: m.permission } })),
      // a charger's page, opened from the board (not in the menu)
      { path: 'stations/:id', name: 'station', component: StationDetailView, meta: { permission: 'station:read' } },
      { path: 'chargers/:id', name: 'charger', component: ChargerDetailView, meta: { permission: 'station:read' } },
      { path: 'orders/:id', name: 'order', component: OrderDetailView, meta: { permission: 'order:read' } },
      { path: 'payments/:id', name: 'payment', component: PaymentDetailView, meta: { permission: 'payment:read' } },
    ],
  },
];

export const router = createRouter({ history: createWebHistory(), routes });

router.beforeEach(async (to) => {
  if (to.meta.public) return true;
  if (!session.signedIn) return { name: 'sign-in', query: to.fullPath === '/' ? {} : { next: to.fullPath } };
  if (!me.value) {
    try {
      await loadMe();
    } catch {
      await signOut();
      return { name: 'sign-in' };
    }
  }
  const permission = to.meta.permission as string | undefined;
  return can(permission) ? true : { name: 'forbidden' };
});
